//! The database handles services use.

use sea_orm::DatabaseConnection;

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
