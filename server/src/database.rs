//! Connecting to the database and bringing its schema up to date.

use std::time::Duration;

use app::services::Db;
use migrations::{Migrator, MigratorTrait as _};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
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
                options.map_sqlx_sqlite_opts(|o| {
                    o.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .busy_timeout(Duration::from_secs(5))
                        .foreign_keys(true)
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
