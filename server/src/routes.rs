mod health;
pub mod report_link;
mod sign_in_link;

pub use health::healthz;
pub use sign_in_link::sign_in_link;
