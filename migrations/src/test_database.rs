//! Throwaway databases for tests (feature `testing`): each test gets its own, migrated.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sea_orm_migration::MigratorTrait;
use sea_orm_migration::sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr,
};

use crate::Migrator;

/// Set (by `.ci/run`) to a PostgreSQL database the tests may create schemas in.
pub const POSTGRES_URL_VAR: &str = "LATCHKEY_TEST_POSTGRES_URL";

/// A migrated database that lives as long as this value (SQLite files are deleted on drop;
/// PostgreSQL schemas stay inside the per-run database that CI drops).
pub struct TestDatabase {
    pub db: DatabaseConnection,
    pub url: String,
    file: Option<std::path::PathBuf>,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(file) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}

fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("t{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// A fresh SQLite file in WAL mode, as the server uses it.
pub async fn sqlite() -> Result<TestDatabase, DbErr> {
    let file = std::env::temp_dir().join(format!("latchkey-{}.db", unique_name()));
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let db = Database::connect(ConnectOptions::new(url.clone())).await?;
    db.execute_unprepared("PRAGMA journal_mode = WAL").await?;
    Migrator::up(&db, None).await?;
    Ok(TestDatabase { db, url, file: Some(file) })
}

/// A fresh schema in the PostgreSQL database named by [`POSTGRES_URL_VAR`], or `None` when
/// the variable is unset (said on standard error, so the skip shows in the test output).
/// In CI (`CI=true`) an unset variable is an error: a suite that cannot run must not pass
/// silently.
pub async fn postgres() -> Result<Option<TestDatabase>, DbErr> {
    postgres_with(&[]).await
}

/// [`postgres`], with each connection's `settings` (name, value) changed from the
/// server's defaults, as a role or database may have them (`ALTER ROLE … SET`).
pub async fn postgres_with(settings: &[(&str, &str)]) -> Result<Option<TestDatabase>, DbErr> {
    let Ok(url) = std::env::var(POSTGRES_URL_VAR) else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return Err(DbErr::Custom(format!("{POSTGRES_URL_VAR} must be set in CI")));
        }
        eprintln!("{POSTGRES_URL_VAR} unset: PostgreSQL not tested");
        return Ok(None);
    };
    let schema = unique_name();
    let admin = Database::connect(url.as_str()).await?;
    admin.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await?;
    admin.close().await?;
    // In the URL rather than only in the pool's options, so that an app under test given
    // this URL lands in the same schema.
    let separator = if url.contains('?') { '&' } else { '?' };
    let mut url = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    for (name, value) in settings {
        url.push_str(&format!("%20-c%20{name}%3D{value}"));
    }
    let db = Database::connect(ConnectOptions::new(url.clone())).await?;
    Migrator::up(&db, None).await?;
    Ok(Some(TestDatabase { db, url, file: None }))
}
