//! The pages whose data the server loads before it renders them (read-only link pages:
//! nothing on them waits once their data is known): what each shows, its loader, and its
//! document.
//!
//! The documents render without the router: the server already chose the page, and
//! rendering it through the router cost about 30 % of the page's CPU time
//! (bench/README.md, 2026-12-07).

use leptos::prelude::*;

use crate::pages::{ReportLinkPage, SharedReportPage};
use crate::{Frame, document};

pub use crate::pages::{ReportLinkView, ShareQuery, SharedPage, load_report_link, load_share};

/// The report link's page (axum's path syntax). The server routes these pages itself.
pub const REPORT_LINK_PATH: &str = "/reports/{id}/view";
/// The share link's page.
pub const SHARE_PATH: &str = "/shared";
pub const PATHS: [&str; 2] = [REPORT_LINK_PATH, SHARE_PATH];

/// The report link's page as the whole document, with its [`ReportLinkView`] in context.
pub fn report_link_document(options: LeptosOptions) -> impl IntoView {
    document(options, || view! { <Frame><ReportLinkPage /></Frame> })
}

/// The share link's page as the whole document, with its [`SharedPage`] in context.
pub fn share_document(options: LeptosOptions) -> impl IntoView {
    document(options, || view! { <Frame><SharedReportPage /></Frame> })
}
