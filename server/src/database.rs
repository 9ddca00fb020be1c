//! Connecting to the database and bringing its schema up to date.

use std::time::Duration;

use app::services::Db;
use migrations::{Migrator, MigratorTrait as _};
use std::ffi::c_int;

use sea_orm::sqlx;
use sea_orm::sqlx::sqlite::{SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DbErr};

use crate::config::DatabaseUrl;

/// SQLite readers; with WAL they never wait for the writer.
const SQLITE_READERS: u32 = 8;
const POSTGRES_POOL: u32 = 16;

/// Connects (creating the SQLite file and its folder on first run) and applies every
/// pending migration, so a fresh machine needs no separate set-up step.
pub async fn connect_and_migrate(database: &DatabaseUrl) -> Result<Db, DbErr> {
    let options = |max: u32| {
        let mut options = ConnectOptions::new(database.url());
        options
            .max_connections(max)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(5))
            .sqlx_logging(false);
        options
    };
    let db = match database {
        DatabaseUrl::Sqlite { path, .. } => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
            }
            // WAL lets readers proceed during a write; NORMAL sync is durable in WAL mode
            // except for the last transactions on power loss, the usual trade for a web app.
            let sqlite = |mut options: ConnectOptions| {
                // A SQLite connection is a file handle, not a socket that can go stale, and
                // each ping is a round trip to the connection's thread: skip it.
                options.test_before_acquire(false);
                // SeaORM keeps only the last closure given, here and for the pool options
                // below: every setting goes in this one, or an earlier call's are silently
                // dropped (WAL for a new file, `synchronous = NORMAL`, `temp_store`).
                options.map_sqlx_sqlite_opts(|o| {
                    o.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .busy_timeout(Duration::from_secs(5))
                        .foreign_keys(true)
                        // Statement journals (a multi-row write that may have to undo
                        // itself) and temporary b-trees in memory: a batch's journal
                        // otherwise spills to a temporary file past 64 KiB, a write
                        // syscall per page, 4 % of a sign-in request's time (bench/README).
                        .pragma("temp_store", "memory")
                });
                options.map_sqlx_sqlite_pool_opts(|pool| {
                    pool.after_connect(|conn, _| Box::pin(stable_query_plans(conn)))
                });
                options
            };
            // The writer connects first: it creates the file and switches it to WAL.
            let write = Database::connect(sqlite(options(1))).await?;
            Migrator::up(&write, None).await?;
            let read = Database::connect(sqlite(options(SQLITE_READERS))).await?;
            Db { read, write }
        }
        DatabaseUrl::Postgres(_) => {
            let db = Database::connect(options(POSTGRES_POOL)).await?;
            Migrator::up(&db, None).await?;
            Db::single(db)
        }
    };
    Ok(db)
}

/// Turns on SQLite's query planner stability guarantee for the connection: plans no longer
/// depend on the values bound to them.
///
/// Why: SQLite reads a bound `LIMIT ?` as a constant when planning, so every fresh binding
/// of it expires the statement, and its next run parses and plans it again. SeaORM's
/// `one()` binds `LIMIT 1` on every read, so the statement cache did nothing for them:
/// re-preparing was over a third of the server's time on a report link (bench/README.md).
/// What the guarantee gives up: plans shaped by bound values (a bound `LIMIT`, the LIKE
/// prefix optimisation, partial indexes matched through a bound value). It changes plans,
/// never results, and we have no LIKE and no partial index.
async fn stable_query_plans(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is this connection's open handle, held locked for the call, and
    // ENABLE_QPSG takes an int and an optional (here null) int pointer to report into.
    let rc = unsafe {
        libsqlite3_sys::sqlite3_db_config(
            db,
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            std::ptr::null_mut::<c_int>(),
        )
    };
    if rc != libsqlite3_sys::SQLITE_OK {
        return Err(sqlx::Error::Configuration(
            format!("SQLite refused the query planner stability guarantee (code {rc})").into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A migrated SQLite database in a directory that lives as long as the first value.
    async fn fresh_sqlite() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/db.sqlite", dir.path().display());
        let db =
            connect_and_migrate(&crate::config::DatabaseUrl::parse(&url).unwrap()).await.unwrap();
        (dir, db)
    }

    /// A connection of each pool has the guarantee on (each gets it as it connects), so
    /// `LIMIT ?` reads are prepared once per connection and reused.
    #[tokio::test]
    async fn sqlite_connections_plan_independently_of_bound_values() {
        let (_dir, db) = fresh_sqlite().await;
        for pool in [&db.read, &db.write] {
            let mut conn = pool.get_sqlite_connection_pool().acquire().await.unwrap();
            let mut handle = conn.lock_handle().await.unwrap();
            let mut on: c_int = -1;
            // SAFETY: as above; a negative first argument only reads the setting.
            let rc = unsafe {
                libsqlite3_sys::sqlite3_db_config(
                    handle.as_raw_handle().as_ptr(),
                    libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
                    -1 as c_int,
                    &mut on as *mut c_int,
                )
            };
            assert_eq!((rc, on), (libsqlite3_sys::SQLITE_OK, 1));
        }
    }

    /// Every connection keeps its statement journals and temporary tables in memory.
    #[tokio::test]
    async fn sqlite_connections_keep_temporary_data_in_memory() {
        use sea_orm::ConnectionTrait as _;
        let (_dir, db) = fresh_sqlite().await;
        for pool in [&db.read, &db.write] {
            let row = pool.query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "PRAGMA temp_store",
            ));
            let row = row.await.unwrap().unwrap();
            // 2: MEMORY.
            assert_eq!(row.try_get_by_index::<i32>(0).unwrap(), 2);
        }
    }
}
