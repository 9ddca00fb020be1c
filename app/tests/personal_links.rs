//! Personal links at the service level, on SQLite and (when configured) PostgreSQL.

#[macro_use]
mod support;

use std::time::SystemTime;

use app::entities::{session, user};
use app::services::personal_links::{self, CreateError, MAX_LINKS};
use app::services::{Services, accounts, security};
use migrations::test_database::TestDatabase;
use sea_orm::{EntityTrait as _, PaginatorTrait as _};
use support::{account, change_email, services, stored_session_id, visitor};
use tokens::{Rejection, Subject};

async fn reload(s: &Services, user: &user::Model) -> user::Model {
    user::Entity::find_by_id(user.id).one(&s.db.read).await.unwrap().unwrap()
}

fn token_of(url: &str) -> String {
    url.strip_prefix("https://latchkey.test/personal?token=").expect(url).to_owned()
}

async fn check(s: &Services, token: &str) -> Result<String, Rejection> {
    let checked = personal_links::check(&s.personal_links, token, SystemTime::now()).await.unwrap();
    checked.map(|preview| format!("{} {}", preview.masked_email, preview.name))
}

/// A link signs its owner in, with a session of its own, as often as it is used.
async fn a_personal_link_signs_in_its_owner(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let link = personal_links::create(&s.personal_links, &alice, " Kitchen\ttablet ", now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.name, "Kitchen tablet");
    let token = token_of(&link.url);
    assert_eq!(check(&s, &token).await, Ok("a•••@example.com Kitchen tablet".to_owned()));

    for _ in 0..2 {
        let signed_in = personal_links::sign_in(&s.personal_links, &token, &visitor(), None, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(signed_in.user_id, alice.id);
        let row = session::Entity::find_by_id(stored_session_id(&signed_in.session_id))
            .one(&s.db.read)
            .await
            .unwrap();
        assert!(row.unwrap().data.contains(&format!("\"personal_link\":{}", link.id)));
    }
    let listed = personal_links::list(&s.personal_links, &alice).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some());
    // The listed URL is the one created, whenever it is shown.
    assert_eq!(listed[0].url, link.url);
    // Each sign-in is in the owner's security activity, written with its session.
    let activity = app::services::activity::recent(&s.db, alice.id, 10).await.unwrap();
    let what: Vec<&str> = activity.iter().map(|e| e.what.as_str()).collect();
    assert_eq!(what, ["Signed in with a personal link"; 2]);
}

/// Names are checked, and an account holds a bounded number of links.
async fn names_and_numbers_are_bounded(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let create = |name: String| {
        let (s, alice) = (&s, &alice);
        async move { personal_links::create(&s.personal_links, alice, &name, now).await.unwrap() }
    };
    assert_eq!(create(" \n".into()).await.unwrap_err(), CreateError::EmptyName);
    assert_eq!(create("x".repeat(61)).await.unwrap_err(), CreateError::NameTooLong);
    for n in 0..MAX_LINKS {
        assert!(create(format!("Device {n}")).await.is_ok());
    }
    assert_eq!(create("One more".into()).await.unwrap_err(), CreateError::TooMany);
}

/// Revoked, signed out everywhere, email changed, another account's, tampered, another
/// purpose: each refused.
async fn personal_links_die_as_they_should(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let bob = account(&s, "bob@example.com").await;
    let new = |user: user::Model, name: &'static str| {
        let s = &s;
        async move {
            let link = personal_links::create(&s.personal_links, &user, name, now).await.unwrap();
            let link = link.unwrap();
            (link.id, token_of(&link.url))
        }
    };
    let (tablet_id, tablet) = new(alice.clone(), "Tablet").await;
    let (_, laptop) = new(alice.clone(), "Laptop").await;

    // Another account cannot revoke it; its owner can, that link alone.
    assert!(!personal_links::revoke(&s.personal_links, bob.id, tablet_id).await.unwrap());
    assert!(personal_links::revoke(&s.personal_links, alice.id, tablet_id).await.unwrap());
    assert_eq!(check(&s, &tablet).await, Err(Rejection::WrongResource));
    let signed_in =
        personal_links::sign_in(&s.personal_links, &tablet, &visitor(), None, now).await.unwrap();
    assert_eq!(signed_in, Err(Rejection::WrongResource));
    assert!(check(&s, &laptop).await.is_ok());

    // Bob's token naming Alice's link opens nothing.
    let forged = s.scopes.bookmark.mint(
        Subject::User(u64::try_from(bob.id).unwrap()),
        Some(u64::try_from(tablet_id + 1).unwrap()),
        &accounts::revocation(&bob),
        now,
    );
    assert_eq!(check(&s, &forged).await, Err(Rejection::WrongResource));
    // A report link's token is not a personal link's, even for the same row id.
    let report_token = s.scopes.report.mint(
        Subject::User(u64::try_from(alice.id).unwrap()),
        Some(u64::try_from(tablet_id + 1).unwrap()),
        &accounts::revocation(&alice),
        now,
    );
    assert_eq!(check(&s, &report_token).await, Err(Rejection::BadSignature));
    let mut tampered = laptop.clone().into_bytes();
    tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
    assert!(check(&s, &String::from_utf8(tampered).unwrap()).await.is_err());

    // Sign out everywhere kills every personal link of the account, rows and all, so
    // none is listed, or valid, again under the new epoch.
    security::sign_out_everywhere(&s.db, alice.id).await.unwrap();
    assert_eq!(check(&s, &laptop).await, Err(Rejection::WrongResource));
    let alice = reload(&s, &alice).await;
    assert!(personal_links::list(&s.personal_links, &alice).await.unwrap().is_empty());
    // So does an email change.
    let (_, phone) = new(alice.clone(), "Phone").await;
    assert!(check(&s, &phone).await.is_ok());
    // Its row is deleted with the change, as by signing out everywhere.
    change_email(&s, alice.id, "alice@new.example").await;
    assert_eq!(check(&s, &phone).await, Err(Rejection::WrongResource));
    // A refused link starts no session: the one there is, the confirmed change started.
    assert_eq!(session::Entity::find().count(&s.db.read).await.unwrap(), 1);
}

on_both_databases!(
    a_personal_link_signs_in_its_owner,
    names_and_numbers_are_bounded,
    personal_links_die_as_they_should,
);
