//! What the report pages show, as the server functions and the server's loaders give it
//! (only what crosses the network is serialisable).

use serde::{Deserialize, Serialize};

/// A report in the owner's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSummary {
    pub id: i64,
    pub title: String,
    pub updated: String,
}

/// A report as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDetail {
    pub id: i64,
    pub title: String,
    pub markdown: String,
    /// Sanitised when the report was saved (see `services::reports`).
    pub body_html: String,
    pub updated: String,
    pub links: Vec<LinkSummary>,
    pub shares: Vec<ShareItem>,
    /// A generated report's job: "queued", "building", "ready" or "failed"; `None` for a
    /// report people wrote.
    pub generated: Option<String>,
}

/// One live report link, in the owner's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkSummary {
    pub id: i64,
    pub created: String,
    pub expires: Option<String>,
    pub last_opened: Option<String>,
    pub opens: i64,
}

/// A report opened with a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedReport {
    pub title: String,
    pub body_html: String,
    pub updated: String,
    pub expires: Option<String>,
}

/// What a signed-in page may show about one of the account's resources.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access<T> {
    Granted(T),
    /// Nobody is signed in: the page sends the browser to sign in first.
    SignedOut,
    /// No such resource of this account's (another's looks the same: nothing leaks).
    NotFound,
}

/// One share of a report, in its owner's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareItem {
    pub id: i64,
    /// The guest's address; `None` for a copied link.
    pub guest: Option<String>,
    pub created: String,
    pub expires: Option<String>,
    /// "Active", "Revoked" or "Expired".
    pub state: String,
    pub active: bool,
    pub last_opened: Option<String>,
    pub people: i64,
    pub automated: i64,
    pub named_only: bool,
    pub browsers: u64,
    /// A copied link's URL, while it works.
    pub link: Option<String>,
}

/// A report opened with a share link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedReportView {
    pub title: String,
    pub body_html: String,
    pub updated: String,
    pub shared_by: String,
    pub message: Option<String>,
    pub expires: Option<String>,
}

/// A share link's query string, as its page needs it again: the token, which its forms
/// post, and where confirming stands. The server reads it: the page renders without the
/// router (see `crate::preloaded`).
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ShareQuery {
    pub token: String,
    /// What the last step of confirming did: `sent`, `limit`, `wrong` or `link`.
    pub code: Option<String>,
    /// The key in a code email's link, opened in this browser.
    pub confirm: Option<String>,
}

/// Without the token and the emailed key: both open the report.
impl std::fmt::Debug for ShareQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareQuery").field("code", &self.code).finish_non_exhaustive()
    }
}

/// What a share link's page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SharedPage {
    Open(SharedReportView),
    /// Only the named guest may open it, and this browser has not confirmed yet.
    ConfirmFirst {
        guest_hint: String,
        query: ShareQuery,
    },
    Revoked,
    Expired,
    /// Not a working link, for whatever reason (one answer for all).
    Invalid,
    /// The database failed: not the link's fault.
    Unavailable,
}

#[cfg(feature = "ssr")]
impl SharedPage {
    /// A revoked or expired share says which (410) only for a token whose MAC verifies;
    /// anything else gets the one generic answer.
    pub fn status(&self) -> http::StatusCode {
        match self {
            Self::Open(_) | Self::ConfirmFirst { .. } => http::StatusCode::OK,
            Self::Revoked | Self::Expired => http::StatusCode::GONE,
            Self::Invalid => http::StatusCode::NOT_FOUND,
            Self::Unavailable => http::StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}
