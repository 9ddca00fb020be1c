//! SQLite only: copies the write-ahead log back into the database file in the background,
//! on a reader connection, so that the one writer has little of it left to copy itself.
//!
//! The log restarts from its beginning when a write begins after everything in it was
//! copied; under steady load that happens often enough (the sign-in load tests' logs stayed
//! within tens of MiB). Measured here: without this worker, a process writing steadily
//! (30,000 rows, one statement each) never checkpointed and its log reached 800 MB (why
//! SQLite's automatic checkpoint did not run there was not found). Under the sign-in load
//! tests, though, the writer's COMMITs do run it (profiled on 2026-12-06), and switching
//! that off (`wal_autocheckpoint = 0`) raised p99 from 15–18 to 89–140 ms (bench/README.md),
//! presumably because only a checkpoint completed just before a write lets the log restart
//! (its size was not watched). So both stay: this worker copies most of the log off the
//! writer's thread, and the writer's own checkpoints find little left to copy. Writes that
//! never pause leave the log no moment to restart in: past a bound, it is truncated, which
//! briefly holds the writer.

use std::time::Duration;

use sea_orm::{ConnectionTrait as _, DatabaseConnection, DbBackend};

/// Under load, checkpoint this often: the log grows by a few hundred pages in between.
const BUSY: Duration = Duration::from_millis(20);
/// When a checkpoint found nothing new, wait this long before looking again.
const IDLE: Duration = Duration::from_secs(1);
/// Past this many frames (256 MiB of 4-KiB pages) the log is truncated. A bound of 64 MiB
/// was reached under the sign-in load tests, and its truncations cost a fifth of the
/// sign-ins per second; at 256 MiB they did not show.
const MAX_LOG_FRAMES: i64 = 64 * 1024;

/// Runs until the process ends (nothing to do on PostgreSQL).
pub async fn run(read: DatabaseConnection) {
    if read.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    let mut last_log = 0;
    loop {
        let passive = checkpoint(&read, "PASSIVE").await;
        let checked = match passive {
            Ok(log) if log >= MAX_LOG_FRAMES => checkpoint(&read, "TRUNCATE").await,
            other => other,
        };
        let pause = match checked {
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

/// A checkpoint in `mode`: PASSIVE never waits for, nor blocks, the writer; TRUNCATE waits
/// for it, then empties the log. Returns the log's size in frames.
async fn checkpoint(db: &DatabaseConnection, mode: &str) -> Result<i64, sea_orm::DbErr> {
    let row = db.query_one_raw(sea_orm::Statement::from_string(
        DbBackend::Sqlite,
        format!("PRAGMA wal_checkpoint({mode})"),
    ));
    let Some(row) = row.await? else { return Ok(0) };
    row.try_get_by_index::<i64>(1)
}
