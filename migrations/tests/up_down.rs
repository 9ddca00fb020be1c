//! The same migrations apply, roll back and re-apply on SQLite and PostgreSQL.

use migrations::test_database::{self, TestDatabase};
use migrations::{Migrator, MigratorTrait};

async fn round_trip(database: TestDatabase) {
    let db = &database.db;
    let applied = Migrator::get_applied_migrations(db).await.unwrap().len();
    assert_eq!(applied, Migrator::migrations().len());
    assert!(Migrator::get_pending_migrations(db).await.unwrap().is_empty());
    // Re-running is a no-op, as every start-up does.
    Migrator::up(db, None).await.unwrap();
    Migrator::down(db, None).await.unwrap();
    assert_eq!(Migrator::get_applied_migrations(db).await.unwrap().len(), 0);
    Migrator::up(db, None).await.unwrap();
    assert_eq!(Migrator::get_applied_migrations(db).await.unwrap().len(), applied);
}

#[tokio::test]
async fn sqlite() {
    round_trip(test_database::sqlite().await.unwrap()).await;
}

#[tokio::test]
async fn postgres() {
    if let Some(database) = test_database::postgres().await.unwrap() {
        round_trip(database).await;
    }
}
