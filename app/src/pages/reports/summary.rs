//! What the report pages show, shared by the server functions and the browser.

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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
