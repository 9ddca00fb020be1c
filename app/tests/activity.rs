//! Security activity, at the service level, on SQLite and (when configured) PostgreSQL.

#[macro_use]
mod support;

use std::time::{Duration, SystemTime};

use app::services::activity::{self, Event, Origin};
use app::services::sign_in::{self, Proof};
use migrations::test_database::TestDatabase;
use support::{account, services};

/// Entries are the account's own, newest first, with where they came from; old ones go.
async fn activity_is_per_account_newest_first(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let bob = account(&s, "bob@example.com").await;
    let origin =
        Origin { ip: "192.0.2.7".parse().unwrap(), user_agent: "Firefox/140.0".to_owned() };
    let earlier = now - Duration::from_secs(60);
    activity::record(&s.db, alice.id, &Event::SignedInWithLink, &origin, earlier).await;
    let shared = Event::Shared { report: "Q3".into(), with: Some("bob@example.com".into()) };
    activity::record(&s.db, alice.id, &shared, &origin, now).await;
    activity::record(&s.db, bob.id, &Event::SignedInWithCode, &origin, now).await;

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

/// A sign-in is recorded with it, by link (through the writer's batch) and by code, with
/// where it came from; a link refused records nothing.
async fn sign_ins_are_recorded_with_them(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let asked = support::ask_sign_in(&s, "cy@example.com", "192.0.2.1", None, now).await;
    let from = support::visitor();
    let link = asked.token();
    let signed_in = sign_in::redeem_link(&s.sign_in, link, Proof::CONTINUE, from, None, now);
    let signed_in = signed_in.await.unwrap().unwrap();
    let again =
        sign_in::redeem_link(&s.sign_in, link, Proof::CONTINUE, support::visitor(), None, now);
    assert!(again.await.unwrap().is_err(), "spent");
    let second = support::ask_sign_in(&s, "cy@example.com", "192.0.2.1", None, now).await;
    let typed = sign_in::verify_code(
        &s.sign_in,
        &second.handle,
        &second.mail.code,
        support::visitor_at("198.51.100.4".parse().unwrap()),
        None,
        now + Duration::from_secs(1),
    );
    assert!(matches!(typed.await.unwrap(), sign_in::CodeOutcome::SignedIn(_)));

    let entries = activity::recent(&s.db, signed_in.user_id, 10).await.unwrap();
    let what: Vec<(&str, Option<&str>)> =
        entries.iter().map(|e| (e.what.as_str(), e.ip.as_deref())).collect();
    assert_eq!(
        what,
        [
            ("Signed in with an emailed code", Some("198.51.100.4")),
            ("Signed in with an emailed link", Some("203.0.113.9")),
        ]
    );
    assert_eq!(entries[1].user_agent.as_deref(), Some("test browser"));
}

on_both_databases!(activity_is_per_account_newest_first, sign_ins_are_recorded_with_them);
