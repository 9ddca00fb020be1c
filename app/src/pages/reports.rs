//! The report pages: the owner's editor and view, and the read-only view a link opens.

mod editor;
mod link_view;
mod summary;
mod view;

pub use editor::{EditReportPage, NewReportPage};
pub use link_view::ReportLinkPage;
pub use summary::{Access, ReportSummary};
pub use view::ReportPage;
