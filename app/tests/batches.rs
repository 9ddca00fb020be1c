//! A batch the database turns down for now is tried again, on a real SQLite lock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use app::services::batcher::{Batch, Batcher, Placement};
use migrations::test_database::TestDatabase;
use sea_orm::{
    ConnectOptions, ConnectionTrait as _, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    TransactionTrait as _,
};
use tokio::sync::Mutex;

/// Inserts its jobs; the first time SQLite says the database is busy, it lets go of the
/// transaction that holds the lock, so only a second try can succeed.
struct Inserts {
    db: DatabaseConnection,
    holder: Mutex<Option<DatabaseTransaction>>,
    tries: Arc<AtomicU32>,
}

impl Batch for Inserts {
    type Job = i64;
    type Done = ();

    async fn run(&self, jobs: &[i64]) -> Result<Vec<()>, DbErr> {
        self.tries.fetch_add(1, Ordering::SeqCst);
        let values: Vec<String> = jobs.iter().map(|n| format!("({n})")).collect();
        let sql = format!("INSERT INTO numbers (n) VALUES {}", values.join(", "));
        let inserted = self.db.execute_unprepared(&sql).await;
        if inserted.is_err()
            && let Some(holder) = self.holder.lock().await.take()
        {
            holder.rollback().await?;
        }
        inserted?;
        Ok(vec![(); jobs.len()])
    }
}

/// A test database with a table, a transaction holding its write lock (as another process
/// would), and a connection for the batch that does not wait for the lock, so it meets
/// SQLITE_BUSY at once.
async fn locked() -> (TestDatabase, DatabaseTransaction, DatabaseConnection) {
    let database = migrations::test_database::sqlite().await.unwrap();
    database.db.execute_unprepared("CREATE TABLE numbers (n INTEGER)").await.unwrap();
    let holder = database.db.begin().await.unwrap();
    holder.execute_unprepared("INSERT INTO numbers (n) VALUES (0)").await.unwrap();
    let mut options = ConnectOptions::new(database.url.clone());
    options.max_connections(1);
    let db = Database::connect(options).await.unwrap();
    db.execute_unprepared("PRAGMA busy_timeout = 0").await.unwrap();
    (database, holder, db)
}

#[tokio::test]
async fn a_busy_database_is_tried_again() {
    let (database, holder, db) = locked().await;
    let tries = Arc::new(AtomicU32::new(0));
    let inserts = Inserts { db, holder: Mutex::new(Some(holder)), tries: tries.clone() };
    let batcher = Batcher::start(inserts, Placement::Shared);
    let answer = tokio::time::timeout(Duration::from_secs(10), batcher.submit(7)).await;
    answer.expect("answered in time").expect("the second try succeeds");
    let count = database.db.query_one_raw(sea_orm::Statement::from_string(
        sea_orm::DbBackend::Sqlite,
        "SELECT COUNT(*) AS n FROM numbers WHERE n = 7",
    ));
    let count: i64 = count.await.unwrap().unwrap().try_get("", "n").unwrap();
    assert_eq!(count, 1, "written once");
    assert_eq!(tries.load(Ordering::SeqCst), 2, "failed busy once, then succeeded");
}

/// A database still busy after the retries fails the batch as a whole: its halves would
/// meet the same lock, each after waits of its own, while every later job waited.
#[tokio::test]
async fn a_database_busy_past_the_retries_is_not_split_for() {
    let (_database, holder, db) = locked().await;
    // The lock is never let go of while the batch runs.
    let tries = Arc::new(AtomicU32::new(0));
    let inserts = Inserts { db, holder: Mutex::new(None), tries: tries.clone() };
    let batcher = Batcher::start(inserts, Placement::Shared);
    // On this single-threaded runtime all eight are queued before the batcher runs, so
    // they are one batch.
    let submits = (1..=8).map(|n| {
        let batcher = batcher.clone();
        tokio::spawn(async move { batcher.submit(n).await })
    });
    let submits: Vec<_> = submits.collect();
    for submit in submits {
        let answer = tokio::time::timeout(Duration::from_secs(10), submit).await;
        assert!(answer.expect("answered in time").unwrap().is_err());
    }
    assert_eq!(tries.load(Ordering::SeqCst), 4, "one try and three retries, then no halves");
    holder.rollback().await.unwrap();
}
