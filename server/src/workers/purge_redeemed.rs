//! Keeps the table of spent single-use tokens bounded.

use std::time::{Duration, SystemTime};

use sea_orm::DatabaseConnection;

const EVERY: Duration = Duration::from_secs(10 * 60);

/// Deletes rows of tokens that can no longer verify, now and every ten minutes. Failures
/// are logged and retried next time: a late purge costs only disk space.
pub async fn run(db: DatabaseConnection) {
    let mut interval = tokio::time::interval(EVERY);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match tokens::store::purge_expired(&db, SystemTime::now()).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "purged spent single-use tokens"),
            Err(error) => tracing::warn!(%error, "could not purge spent single-use tokens"),
        }
    }
}
