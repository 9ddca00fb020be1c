//! The database handles services use.

use sea_orm::{DatabaseConnection, DbErr};

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
