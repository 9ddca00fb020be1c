//! What server functions and workers are given at start-up: every feature's handle, built
//! one way for the server, the admin commands and the tests.

use std::ops::Deref;
use std::sync::Arc;

use tokio::sync::Notify;

use crate::services::activity_report::ActivityReports;
use crate::services::email_change::EmailChanges;
use crate::services::opens::Opens;
use crate::services::personal_links::PersonalLinks;
use crate::services::reports::Reports;
use crate::services::sessions::Sessions;
use crate::services::shares::Shares;
use crate::services::sign_in::{CodeHasher, SignIn};
use crate::services::{Db, Scopes, ShareSettings, SignInSettings};

/// Provided as Leptos context to every server function, and shared with the workers.
///
/// One `Arc` around every handle: each request clones it several times (axum's state, the
/// render context, `use_context`), and cloning the handles one by one cost a few dozen
/// atomic increments each time, a seventh of a share page's time under load.
#[derive(Clone)]
pub struct Services(Arc<Handles>);

impl Deref for Services {
    type Target = Handles;

    fn deref(&self) -> &Handles {
        &self.0
    }
}

/// Every feature's handle; reached through [`Services`].
pub struct Handles {
    pub db: Db,
    /// Every token purpose as configured.
    pub scopes: Arc<Scopes>,
    pub settings: Arc<SignInSettings>,
    pub sessions: Sessions,
    pub sign_in: SignIn,
    pub reports: Reports,
    pub shares: Shares,
    pub personal_links: PersonalLinks,
    pub email_changes: EmailChanges,
    pub activity_reports: ActivityReports,
    /// Poked when a message is queued, so the mail worker need not wait for its next poll.
    pub mail_queued: Arc<Notify>,
}

impl Services {
    /// Assembles the services and starts their background tasks (from within a Tokio
    /// runtime).
    pub fn new(
        db: Db,
        scopes: Scopes,
        settings: SignInSettings,
        sharing: ShareSettings,
        codes: CodeHasher,
    ) -> Self {
        let scopes = Arc::new(scopes);
        let settings = Arc::new(settings);
        let mail_queued = Arc::new(Notify::new());
        let sessions = Sessions::new(db.clone(), settings.clone());
        let sign_in = SignIn::start(
            db.clone(),
            scopes.clone(),
            settings.clone(),
            codes.clone(),
            mail_queued.clone(),
        );
        // One open counter for report links and shares: one write a second for both.
        let opens = Opens::start(db.write.clone());
        let reports = Reports::new(
            db.clone(),
            scopes.clone(),
            settings.clone(),
            mail_queued.clone(),
            opens.clone(),
        );
        let shares = Shares::new(
            db.clone(),
            scopes.clone(),
            settings.clone(),
            sharing,
            codes,
            mail_queued.clone(),
            opens,
        );
        let personal_links = PersonalLinks::new(db.clone(), scopes.clone(), settings.clone());
        let email_changes =
            EmailChanges::new(db.clone(), scopes.clone(), settings.clone(), mail_queued.clone());
        let activity_reports =
            ActivityReports::new(db.clone(), reports.clone(), shares.clone(), mail_queued.clone());
        Self(Arc::new(Handles {
            db,
            scopes,
            settings,
            sessions,
            sign_in,
            reports,
            shares,
            personal_links,
            email_changes,
            activity_reports,
            mail_queued,
        }))
    }
}
