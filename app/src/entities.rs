//! SeaORM entities: one module per table (server only).

pub mod outbox_message;
pub mod session;
pub mod sign_in_request;
pub mod user;
