//! Domain services (server only): the one place pages' server functions and the server's
//! handlers reach the database through.
//!
//! One module per feature, each with a facade whose public functions are the only way in;
//! their steps are private to them. Features depend downwards only: `sign_in` starts
//! sessions and reads accounts, `reports` and `personal_links` check their links through
//! `links`, which reads accounts, and nothing depends on `context`, which assembles them all.

pub mod accounts;
pub mod activity;
pub mod activity_report;
pub mod batcher;
mod context;
pub(crate) mod db;
mod digest;
pub mod email_change;
pub mod jobs;
pub mod links;
pub(crate) mod network;
pub mod opens;
pub mod outbox;
pub mod personal_links;
pub(crate) mod reads_by_id;
pub mod reports;
mod scopes;
pub mod security;
pub mod sessions;
mod settings;
pub mod shares;
pub mod sign_in;
pub mod time;

pub use context::{Handles, Services};
pub use db::Db;
pub use scopes::{Purposes, Scopes};
pub use settings::{CodeBudgets, OtherBrowser, ShareSettings, SignInSettings};
