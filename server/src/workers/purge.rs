//! Keeps the tables that grow with traffic bounded: spent single-use tokens, expired
//! sessions, old sign-in requests, expired report links, share codes and settled mail.

use std::time::{Duration, SystemTime};

use app::services::sessions::SeaOrmSessionStore;
use app::services::{Services, activity, email_change, outbox, reports, shares, sign_in};

const EVERY: Duration = Duration::from_secs(10 * 60);
/// Settled mail is kept this long, for support questions ("did my email go out?").
const KEEP_SETTLED_MAIL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Runs now and every ten minutes. Failures are logged and retried next time: a late
/// purge costs only disk space.
pub async fn run(services: Services, sessions: SeaOrmSessionStore) {
    let mut interval = tokio::time::interval(EVERY);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let now = SystemTime::now();
        let db = &services.db.write;
        report("spent single-use tokens", tokens::store::purge_expired(db, now).await);
        report("expired sessions", sessions.purge_expired(now).await);
        report("old sign-in requests", sign_in::purge(&services.sign_in, now).await);
        report("expired report links", reports::purge_expired_links(&services.reports, now).await);
        report(
            "old share codes and deleted reports' shares",
            shares::purge(&services.shares, now).await,
        );
        report("old email changes", email_change::purge(&services.email_changes, now).await);
        report("old security activity", activity::purge(&services.db, now).await);
        report("emails out of attempts (marked failed)", outbox::fail_exhausted(db, now).await);
        report("settled emails", outbox::purge_settled(db, now - KEEP_SETTLED_MAIL).await);
    }
}

fn report(what: &str, result: Result<u64, sea_orm::DbErr>) {
    match result {
        Ok(0) => {}
        Ok(purged) => tracing::info!(purged, "purged {what}"),
        Err(error) => tracing::warn!(%error, "could not purge {what}"),
    }
}
