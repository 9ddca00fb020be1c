//! What server functions and workers are given at start-up.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DbBackend;
use tokio::sync::Notify;

use crate::services::Db;
use crate::services::batcher::Placement;
use crate::services::code_hashing::CodeHasher;
use crate::services::link_redemption::{self, LinkChecker};
use crate::services::sign_in_requests::SignInRules;
use crate::services::writer::{self, Writer};

/// Provided as Leptos context to every server function, and shared with the workers.
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    /// Mints and verifies sign-in links (purpose `login`).
    pub login: Arc<tokens::Scope>,
    pub sign_in: Arc<SignInSettings>,
    pub codes: CodeHasher,
    /// Writes sign-in requests, spent links and new sessions, several per transaction.
    pub writer: Writer,
    /// Checks sign-in links, several per query.
    pub links: LinkChecker,
    /// Poked when a message is queued, so the mail worker need not wait for its next poll.
    pub mail_queued: Arc<Notify>,
}

impl Services {
    /// Assembles the services and starts the writer and the link checker (from within a
    /// Tokio runtime), so the server, the admin commands and the tests build them one way.
    pub fn new(db: Db, login: tokens::Scope, sign_in: SignInSettings, codes: CodeHasher) -> Self {
        let sign_in = Arc::new(sign_in);
        let mail_queued = Arc::new(Notify::new());
        let login_max_age =
            login.purpose().max_age().expect("single-use purposes always have a max-age");
        let placement = match db.write.get_database_backend() {
            DbBackend::Sqlite => Placement::OwnThread,
            _ => Placement::Shared,
        };
        let rules = SignInRules { settings: sign_in.clone(), login_max_age };
        let writer = writer::start(db.write.clone(), rules, mail_queued.clone(), placement);
        let login = Arc::new(login);
        let links = link_redemption::start_checker(db.read.clone(), login.clone(), placement);
        Self { db, login, sign_in, codes, writer, links, mail_queued }
    }
}

/// Sign-in rules that are settings.
#[derive(Clone, Debug)]
pub struct SignInSettings {
    /// The public origin links are built from, e.g. `https://latchkey.example.com`.
    pub base_url: String,
    /// Cookies get `Secure` when the base URL is https.
    pub secure_cookies: bool,
    /// Sign-in emails per address per `rate_window`.
    pub per_email: u32,
    /// Sign-in requests per client IP per `rate_window`.
    pub per_ip: u32,
    pub rate_window: Duration,
    /// Sessions end after this long without a request…
    pub session_idle: Duration,
    /// …and this long after signing in, however active.
    pub session_absolute: Duration,
}

impl SignInSettings {
    /// A sign-in link's URL. Built from the configured origin, never a request's Host.
    pub fn link_url(&self, token: &str) -> String {
        format!("{}/signin/link?token={token}", self.base_url)
    }
}
