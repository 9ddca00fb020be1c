mod health;
mod personal_link;
pub mod report_link;
mod sign_in_link;

pub use health::healthz;
pub use personal_link::personal_link;
pub use sign_in_link::sign_in_link;
