//! Security activity, at the service level, on SQLite and (when configured) PostgreSQL.

#[macro_use]
mod support;

use std::time::{Duration, SystemTime};

use app::services::activity::{self, Event, Origin};
use migrations::test_database::TestDatabase;
use support::{account, services};

/// Entries are the account's own, newest first, with where they came from; old ones go.
async fn activity_is_per_account_newest_first(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let bob = account(&s, "bob@example.com").await;
    let origin = Origin { ip: "192.0.2.7".parse().unwrap(), user_agent: "Firefox/140.0" };
    let earlier = now - Duration::from_secs(60);
    activity::record(&s.db, alice.id, &Event::SignedInWithLink, origin, earlier).await;
    let shared = Event::Shared { report: "Q3".into(), with: Some("bob@example.com".into()) };
    activity::record(&s.db, alice.id, &shared, origin, now).await;
    activity::record(&s.db, bob.id, &Event::SignedInWithCode, origin, now).await;

    let entries = activity::recent(&s.db, alice.id, 10).await.unwrap();
    let what: Vec<&str> = entries.iter().map(|e| e.what.as_str()).collect();
    assert_eq!(what, ["Shared “Q3” with bob@example.com", "Signed in with an emailed link"]);
    assert_eq!(entries[0].ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(entries[0].user_agent.as_deref(), Some("Firefox/140.0"));
    assert_eq!(activity::recent(&s.db, alice.id, 1).await.unwrap().len(), 1);

    let later = now + activity::KEEP;
    assert_eq!(activity::purge(&s.db, later).await.unwrap(), 1, "only the older of Alice's");
    assert_eq!(activity::recent(&s.db, alice.id, 10).await.unwrap().len(), 1);
}

on_both_databases!(activity_is_per_account_newest_first);
