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

/// Sessions signed in before the account column existed get it from their data.
async fn sessions_are_backfilled(database: TestDatabase) {
    use sea_orm_migration::sea_orm::{ConnectionTrait as _, Statement};
    let db = &database.db;
    // Back to just before 000010 (the tenth), whatever came after it.
    let after_ninth = u32::try_from(Migrator::migrations().len() - 9).unwrap();
    Migrator::down(db, Some(after_ninth)).await.unwrap();
    db.execute_unprepared(
        "INSERT INTO sessions (id, data, expires_at) VALUES \
         ('a', '{\"auth\":{\"user_id\":42,\"token_epoch\":0}}', 9999999999), \
         ('b', '{}', 9999999999)",
    )
    .await
    .unwrap();
    Migrator::up(db, None).await.unwrap();
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, user_id FROM sessions ORDER BY id",
        ))
        .await
        .unwrap();
    let mut found: Vec<(String, Option<i64>)> = rows
        .iter()
        .map(|row| (row.try_get("", "id").unwrap(), row.try_get("", "user_id").unwrap()))
        .collect();
    found.sort();
    // 000016 then stored each under its id's SHA-256.
    let a = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";
    let b = "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d";
    let mut expected = vec![(a.to_owned(), Some(42)), (b.to_owned(), None)];
    expected.sort();
    assert_eq!(found, expected);
}

#[tokio::test]
async fn sessions_backfill_on_sqlite() {
    sessions_are_backfilled(test_database::sqlite().await.unwrap()).await;
}

#[tokio::test]
async fn sessions_backfill_on_postgres() {
    if let Some(database) = test_database::postgres().await.unwrap() {
        sessions_are_backfilled(database).await;
    }
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
