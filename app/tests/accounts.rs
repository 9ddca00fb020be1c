//! Accounts on SQLite and, when configured, PostgreSQL.

use app::domain::EmailAddress;
use app::services::accounts::{self, CreateError};
use migrations::test_database::{self, TestDatabase};

async fn one_account_per_normalised_address(database: TestDatabase) {
    let db = &database.db;
    let typed = EmailAddress::parse(" Alice@Example.com ").unwrap();
    let user = accounts::create(db, &typed).await.unwrap();
    assert_eq!(user.email, "alice@example.com");
    assert_eq!((user.status.as_str(), user.token_epoch), ("active", 0));

    let again = EmailAddress::parse("ALICE@example.COM").unwrap();
    match accounts::create(db, &again).await {
        Err(CreateError::AlreadyExists(existing)) => assert_eq!(existing.id, user.id),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(accounts::find_by_email(db, &again).await.unwrap().map(|u| u.id), Some(user.id));
    let bob = EmailAddress::parse("bob@example.com").unwrap();
    assert!(accounts::find_by_email(db, &bob).await.unwrap().is_none());
}

#[tokio::test]
async fn sqlite() {
    one_account_per_normalised_address(test_database::sqlite().await.unwrap()).await;
}

#[tokio::test]
async fn postgres() {
    if let Some(database) = test_database::postgres().await.unwrap() {
        one_account_per_normalised_address(database).await;
    }
}
