//! The report pages: the owner's editor and view with its sharing, and the read-only
//! views a report link and a share link open.

mod editor;
mod link_view;
mod shared_view;
mod sharing;
mod summary;
mod view;

pub use editor::{EditReportPage, NewReportPage};
pub use link_view::ReportLinkPage;
#[cfg(feature = "ssr")]
pub use link_view::{ReportLinkView, load_report_link};
pub use shared_view::SharedReportPage;
#[cfg(feature = "ssr")]
pub use shared_view::load_share;
pub use sharing::RevokeShare;
pub use summary::{Access, ReportSummary};
#[cfg(feature = "ssr")]
pub use summary::{ShareQuery, SharedPage};
pub use view::ReportPage;
pub use view::RevokeReportLink;
