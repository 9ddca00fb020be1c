//! The database handles services use.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, IsolationLevel,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait as _,
};

/// Two handles onto one database. On SQLite, `write` is a pool of one connection: SQLite
/// admits one writer at a time, and queueing writers in the pool is fair and fast, whereas
/// several connections racing for the write lock sleep in SQLite's busy handler (ruining
/// tail latency) or fail outright when a read transaction tries to upgrade. On PostgreSQL
/// both are the same pool.
#[derive(Clone, Debug)]
pub struct Db {
    pub read: DatabaseConnection,
    pub write: DatabaseConnection,
}

impl Db {
    /// One pool for both, e.g. PostgreSQL, or a test's single SQLite connection pool.
    pub fn single(db: DatabaseConnection) -> Self {
        Self { read: db.clone(), write: db }
    }
}

/// Whether `error` is a unique index refusing a second row: the way races between two
/// inserts (or updates) of the same key are settled.
pub(crate) fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// Whether `error` is the database declining for now what may succeed if tried again: SQLite
/// busy or locked, a PostgreSQL deadlock or serialisation failure. Not a pool that gave no
/// connection: that already waited its acquire timeout (seconds), and waiting again three
/// times would hold every job behind it for as long again.
pub(crate) fn is_transient(error: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx};
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = error
    else {
        return false;
    };
    let sqlx::Error::Database(e) = &**e else { return false };
    let Some(code) = e.code() else { return false };
    match error_backend(e.as_ref()) {
        // Extended result codes; the primary code is the low byte (5 BUSY, 6 LOCKED).
        Backend::Sqlite => code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6)),
        // serialization_failure, deadlock_detected.
        Backend::Postgres => matches!(&*code, "40001" | "40P01"),
    }
}

/// Whether `error` says the database cannot be reached or cannot write at all (rather than
/// that one statement failed): trying again part by part would only multiply the failures.
/// A connection that broke during a COMMIT leaves its outcome unknown, so what it wrote
/// must not be written again either.
pub(crate) fn is_unreachable(error: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx};
    let e = match error {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return false,
    };
    match &**e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => {
            let Some(code) = e.code() else { return false };
            match error_backend(e.as_ref()) {
                // Primary codes: READONLY, IOERR, CORRUPT, FULL, CANTOPEN.
                Backend::Sqlite => {
                    code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 8 | 10 | 11 | 13 | 14))
                }
                // Connection exceptions; disk full and too many connections; a read-only
                // server (a standby after failover); the server shutting down or starting
                // up. Not the rest of class 53: "out of shared memory" can be a batch's
                // many locks, which its halves would not need.
                Backend::Postgres => {
                    code.starts_with("08")
                        || matches!(
                            &*code,
                            "53100" | "53300" | "25006" | "57P01" | "57P02" | "57P03"
                        )
                }
            }
        }
        _ => false,
    }
}

enum Backend {
    Sqlite,
    Postgres,
}

fn error_backend(e: &dyn sea_orm::sqlx::error::DatabaseError) -> Backend {
    if e.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>().is_some() {
        Backend::Sqlite
    } else {
        Backend::Postgres
    }
}

/// Begins a transaction whose limits count exactly (see [`lock_for_limits`]): on
/// PostgreSQL at READ COMMITTED, whatever the server's, database's or role's default, since
/// under REPEATABLE READ or SERIALIZABLE the snapshot is taken before the lock is granted
/// and misses the rows of the transaction that held it. Per transaction, not per
/// connection: PgBouncer refuses or drops connection-level settings. On SQLite, `mode`.
pub(crate) async fn begin_for_limits(
    db: &DatabaseConnection,
    sqlite_mode: Option<SqliteTransactionMode>,
) -> Result<DatabaseTransaction, DbErr> {
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let options = TransactionOptions {
        // Only where it means something: SeaORM warns of it on SQLite at every BEGIN.
        isolation_level: postgres.then_some(IsolationLevel::ReadCommitted),
        sqlite_transaction_mode: sqlite_mode,
        ..TransactionOptions::default()
    };
    db.begin_with_options(options).await
}

/// On PostgreSQL, takes a transaction-scoped lock per bucket (say `ip:192.0.2.1`, or
/// `shares:42`) before a limit's count, so that transactions of several instances counting
/// one bucket at once take turns: each would otherwise count only what was committed
/// before it began, and admit a full quota of its own. Needs READ COMMITTED, so that a
/// count after the wait sees what the lock's last holder wrote: begin such transactions
/// with [`begin_for_limits`]. Locks are taken in one
/// order everywhere, so two transactions cannot deadlock on them (and if they did, the
/// batcher retries). SQLite needs none: it admits one writer at a time.
pub(crate) async fn lock_for_limits(
    txn: &impl ConnectionTrait,
    buckets: impl IntoIterator<Item = String>,
) -> Result<(), DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let mut keys: Vec<i64> = buckets.into_iter().map(|bucket| lock_key(&bucket)).collect();
    if keys.is_empty() {
        return Ok(());
    }
    keys.sort_unstable();
    keys.dedup();
    // Numbers computed here, so written inline; the sorted subquery fixes the lock order.
    let values: Vec<String> = keys.iter().map(|k| format!("({k})")).collect();
    let sql = format!(
        "SELECT pg_advisory_xact_lock(k) FROM (SELECT k FROM (VALUES {}) AS v(k) ORDER BY k) AS keys",
        values.join(", ")
    );
    txn.query_all_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
    Ok(())
}

/// A bucket's advisory lock: 64 bits of its name's SHA-256, under a prefix of its own so
/// that no other lock in the database shares the key by accident.
fn lock_key(bucket: &str) -> i64 {
    use sha2::{Digest as _, Sha256};
    let digest = Sha256::digest(format!("latchkey limit\0{bucket}").as_bytes());
    i64::from_be_bytes(digest[..8].try_into().expect("a SHA-256 digest has 32 bytes"))
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait as _, Database};

    use super::*;

    /// A database that cannot write (here, opened read-only; a full disk is the same kind
    /// of error) would fail every part of a batch alike: it is not one bad statement.
    /// (A corrupt SQLite page might fail only some jobs; not splitting for it is a choice.)
    #[tokio::test]
    async fn a_database_that_cannot_write_is_unreachable() {
        let database = migrations::test_database::sqlite().await.unwrap();
        let read_only = Database::connect(database.url.replace("mode=rwc", "mode=ro"));
        let read_only = read_only.await.unwrap();
        let refused = read_only.execute_unprepared("CREATE TABLE t (n INTEGER)").await;
        let error = refused.unwrap_err();
        assert!(is_unreachable(&error), "{error}");
        assert!(!is_transient(&error), "{error}");
        // One bad statement is not.
        let bad = database.db.execute_unprepared("INSERT INTO no_such_table VALUES (1)").await;
        assert!(!is_unreachable(&bad.unwrap_err()));
    }

    /// A pool that gave no connection in its timeout has made its callers wait already:
    /// the batch fails whole, at once, rather than after three more such waits.
    #[test]
    fn a_pool_timeout_is_not_retried() {
        let error = DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout);
        assert!(!is_transient(&error));
        assert!(is_unreachable(&error));
    }
}
