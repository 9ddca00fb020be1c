mod check_email;
mod continue_sign_in;
pub(crate) mod dashboard;
mod home;
mod not_found;
mod personal_continue;
mod reports;
mod settings;
mod sign_in;

pub use check_email::CheckEmailPage;
pub use continue_sign_in::ContinueSignInPage;
pub use dashboard::DashboardPage;
pub use home::HomePage;
pub use not_found::NotFound;
pub use personal_continue::PersonalContinuePage;
pub use reports::{EditReportPage, NewReportPage, ReportLinkPage, ReportPage, SharedReportPage};
pub use settings::SettingsPage;
pub use sign_in::SignInPage;
