mod check_email;
mod continue_sign_in;
pub(crate) mod dashboard;
mod home;
mod not_found;
mod reports;
mod sign_in;

pub use check_email::CheckEmailPage;
pub use continue_sign_in::ContinueSignInPage;
pub use dashboard::DashboardPage;
pub use home::HomePage;
pub use not_found::NotFound;
pub use reports::{EditReportPage, NewReportPage, ReportLinkPage, ReportPage};
pub use sign_in::SignInPage;
