mod access;
mod check_email;
mod continue_sign_in;
pub(crate) mod dashboard;
mod email_change;
mod home;
mod not_found;
mod personal_continue;
pub(crate) mod reports;
pub(crate) mod settings;
mod sign_in;

pub use access::AccessPage;
pub use check_email::CheckEmailPage;
pub use continue_sign_in::ContinueSignInPage;
pub use dashboard::DashboardPage;
pub use email_change::{EmailConfirmPage, EmailUndoPage};
pub use home::HomePage;
pub use not_found::NotFound;
pub use personal_continue::PersonalContinuePage;
pub use reports::{EditReportPage, NewReportPage, ReportLinkPage, ReportPage, SharedReportPage};
#[cfg(feature = "ssr")]
pub use reports::{ReportLinkView, ShareQuery, SharedPage, load_report_link, load_share};
pub use settings::SettingsPage;
pub use sign_in::SignInPage;
