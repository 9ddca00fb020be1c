//! SQLite only: copies the write-ahead log back into the database file in the background.
//!
//! Left to itself, SQLite checkpoints on the committing connection once the log passes
//! 1,000 pages, so every few hundred sign-ins one of them waits for thousands of pages to
//! be copied and synced. Copying here, on a reader connection, keeps that work off the one
//! writer; the writer's own checkpoint still runs at the threshold, but finds almost
//! everything copied already, and only it can restart the log, which keeps the file small.

use std::time::Duration;

use sea_orm::{ConnectionTrait as _, DatabaseConnection, DbBackend};

/// Under load, checkpoint this often: the log grows by a few hundred pages in between.
const BUSY: Duration = Duration::from_millis(20);
/// When a checkpoint found nothing new, wait this long before looking again.
const IDLE: Duration = Duration::from_secs(1);

/// Runs until the process ends (nothing to do on PostgreSQL).
pub async fn run(read: DatabaseConnection) {
    if read.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    let mut last_log = 0;
    loop {
        let pause = match checkpoint(&read).await {
            // Frames in the log, and whether any arrived since the last look.
            Ok(log) if log != last_log => {
                last_log = log;
                BUSY
            }
            Ok(_) => IDLE,
            Err(error) => {
                tracing::warn!(%error, "background WAL checkpoint failed");
                IDLE
            }
        };
        tokio::time::sleep(pause).await;
    }
}

/// A passive checkpoint (never waits for, nor blocks, the writer); returns the log's size
/// in frames.
async fn checkpoint(db: &DatabaseConnection) -> Result<i64, sea_orm::DbErr> {
    let row = db.query_one_raw(sea_orm::Statement::from_string(
        DbBackend::Sqlite,
        "PRAGMA wal_checkpoint(PASSIVE)",
    ));
    let Some(row) = row.await? else { return Ok(0) };
    row.try_get_by_index::<i64>(1)
}
