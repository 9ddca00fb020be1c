mod health;
mod personal_link;
mod preloaded;
mod report_link;
mod shared_link;
mod sign_in_link;

pub use health::healthz;
pub use personal_link::personal_link;
pub use report_link::report_link;
pub use shared_link::shared_link;
pub use sign_in_link::sign_in_link;
