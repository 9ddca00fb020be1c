//! Account limits hold exactly when several instances serve one account at once (two sets
//! of services on one database, asking together): counted then written in one transaction,
//! which on PostgreSQL takes the limit's lock first.

#[macro_use]
mod support;

use std::time::{Duration, SystemTime};

use app::services::{Services, email_change, reports, shares};
use migrations::test_database::TestDatabase;
use support::{account, services};

/// Runs `each` for 0..n on two instances at once; how many answered `true`.
async fn on_two_instances<F, Fut>(database: &TestDatabase, n: usize, each: F) -> usize
where
    F: Fn(Services, usize) -> Fut,
    Fut: std::future::Future<Output = bool> + Send + 'static,
{
    let instances = [services(database), services(database)];
    // Open enough connections first, then start all together, so that the counts overlap.
    let warm = (0..n).map(|_| {
        let db = database.db.clone();
        tokio::spawn(async move {
            use sea_orm::ConnectionTrait as _;
            let sleep = match db.get_database_backend() {
                sea_orm::DbBackend::Postgres => "SELECT pg_sleep(0.05)",
                _ => "SELECT 1",
            };
            db.execute_unprepared(sleep).await.unwrap();
        })
    });
    for task in warm.collect::<Vec<_>>() {
        task.await.unwrap();
    }
    // All start together, so that their counts overlap.
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (start, asked) = (start.clone(), each(instances[i % 2].clone(), i));
            tokio::spawn(async move {
                start.wait().await;
                asked.await
            })
        })
        .collect();
    let all = async {
        let mut yes = 0;
        for task in tasks {
            yes += usize::from(task.await.unwrap());
        }
        yes
    };
    tokio::time::timeout(Duration::from_secs(60), all).await.expect("the requests finish")
}

/// 5 email changes a day: 12 asked at once get 5 through.
async fn email_changes_per_day(database: TestDatabase) {
    let alice = account(&services(&database), "alice@example.com").await;
    let asked = on_two_instances(&database, 12, move |s, i| {
        let alice = alice.clone();
        async move {
            let new = format!("alice{i}@new.example");
            let asked = email_change::request(&s.email_changes, &alice, &new, SystemTime::now());
            asked.await.unwrap().is_ok()
        }
    });
    assert_eq!(asked.await, usize::try_from(email_change::PER_DAY).unwrap());
}

/// 50 shares a day (the tests' setting): 60 asked at once get 50 through.
async fn shares_per_day(database: TestDatabase) {
    let s = services(&database);
    let owner = account(&s, "owner@example.com").await;
    let draft = reports::Draft::parse("Q3", "").unwrap();
    let report = reports::create(&s.reports, owner.id, &draft, SystemTime::now()).await.unwrap();
    let shared = on_two_instances(&database, 60, move |s, _| {
        let owner = owner.clone();
        async move {
            let new = shares::NewShare::default();
            let shared = shares::share(&s.shares, &owner, report.id, &new, SystemTime::now());
            matches!(shared.await.unwrap(), shares::Shared::Link { .. })
        }
    });
    assert_eq!(shared.await, 50);
}

/// 20 report-link emails an hour: 26 asked at once get 20 through.
async fn report_link_emails_per_hour(database: TestDatabase) {
    let s = services(&database);
    let owner = account(&s, "owner@example.com").await;
    let draft = reports::Draft::parse("Q3", "").unwrap();
    let report = reports::create(&s.reports, owner.id, &draft, SystemTime::now()).await.unwrap();
    let emailed = on_two_instances(&database, 26, move |s, _| {
        let owner = owner.clone();
        async move {
            let emailed = reports::email_link(&s.reports, &owner, report.id, SystemTime::now());
            emailed.await.unwrap() == reports::LinkEmail::Queued
        }
    });
    assert_eq!(emailed.await, usize::try_from(reports::LINK_EMAILS_PER_HOUR).unwrap());
}

on_both_databases!(email_changes_per_day, shares_per_day, report_link_emails_per_hour);

/// The same limits on a PostgreSQL whose connections default to SERIALIZABLE (as a role or
/// database may be set up): the limits' transactions run at READ COMMITTED regardless, so
/// the count after the lock sees the holder's rows, and nothing fails to serialise.
mod postgres_defaulting_to_serializable {
    use migrations::test_database::{TestDatabase, postgres_with};

    async fn database() -> Option<TestDatabase> {
        postgres_with(&[("default_transaction_isolation", "serializable")]).await.unwrap()
    }

    #[tokio::test]
    async fn email_changes_per_day() {
        if let Some(database) = database().await {
            super::email_changes_per_day(database).await;
        }
    }

    #[tokio::test]
    async fn shares_per_day() {
        if let Some(database) = database().await {
            super::shares_per_day(database).await;
        }
    }

    #[tokio::test]
    async fn report_link_emails_per_hour() {
        if let Some(database) = database().await {
            super::report_link_emails_per_hour(database).await;
        }
    }
}
