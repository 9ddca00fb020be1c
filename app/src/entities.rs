//! SeaORM entities: one module per table (server only).

pub mod code_failure;
pub mod email_change;
pub mod job;
pub mod outbox_message;
pub mod personal_link;
pub mod report;
pub mod report_link;
pub mod security_event;
pub mod session;
pub mod share;
pub mod share_browser;
pub mod share_code;
pub mod sign_in_request;
pub mod user;
