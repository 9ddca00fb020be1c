//! The sign-in rules, at the service level, on SQLite and (when configured) PostgreSQL.
//! Time is passed in, so expiry and rate windows are tested without sleeping.

#[macro_use]
mod support;

use std::time::{Duration, SystemTime};

use app::domain::EmailAddress;
use app::entities::{outbox_message, sign_in_request, user};
use app::services::sign_in::{
    self, Ask, CodeOutcome, DeadLink, LinkPreview, LinkRefusal, Origin, Outcome, Proof,
};
use app::services::{Services, outbox};
use migrations::test_database::TestDatabase;
use sea_orm::{ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _};
use support::{services, stored_session_id, visitor, visitor_at, wrong_code as wrong};
use tokens::Rejection;

fn origin(ip: &str) -> Origin<'static> {
    Origin {
        client_ip: ip.parse().unwrap(),
        user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
        browser: None,
    }
}

/// Where the tests' codes are typed from.
fn ip() -> std::net::IpAddr {
    [192, 0, 2, 200].into()
}

/// A code typed, without its link, from `ip()` in the browser holding `handle`.
async fn type_code(
    s: &Services,
    handle: &str,
    code: &app::domain::SignInCode,
    now: SystemTime,
) -> CodeOutcome {
    sign_in::verify_code(&s.sign_in, handle, code, visitor_at(ip()), None, now).await.unwrap()
}

fn token_of(link: &str) -> &str {
    link.strip_prefix("https://latchkey.test/signin/link?token=").expect(link)
}

async fn queued(services: &Services) -> Vec<outbox_message::Model> {
    outbox_message::Entity::find().all(&services.db.read).await.unwrap()
}

/// Request → mail prepared → link checked (not spent) → redeemed once → account created.
async fn link_signs_in_once_and_creates_the_account(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let asked = sign_in::request(
        &s.sign_in,
        " New@Example.com ",
        Some("/reports/7"),
        &origin("192.0.2.1"),
        now,
    )
    .await
    .unwrap();
    assert_eq!(asked.outcome, Outcome::Queued);
    let messages = queued(&s).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].recipient, "new@example.com");

    let mail = support::link_mail(&s.sign_in, messages[0].reference_id, now).await;
    assert_eq!(mail.to, "new@example.com");
    assert_eq!(
        mail.expires_at.duration_since(mail.requested_at).unwrap(),
        Duration::from_secs(900)
    );
    let token = token_of(&mail.link).to_owned();

    // Looking does not spend, however often.
    for _ in 0..3 {
        assert_eq!(
            sign_in::check_link(&s.sign_in, &token, None, now).await.unwrap(),
            Ok(LinkPreview { masked_email: "n•••@example.com".into(), ask: Ask::Confirm })
        );
    }
    assert_eq!(user::Entity::find().count(&s.db.read).await.unwrap(), 0);

    let signed_in = sign_in::redeem_link(&s.sign_in, &token, Proof::CONTINUE, visitor(), None, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(signed_in.email, "new@example.com");
    assert_eq!(signed_in.next, "/reports/7");
    let account =
        user::Entity::find_by_id(signed_in.user_id).one(&s.db.read).await.unwrap().unwrap();
    assert_eq!(
        (account.email.as_str(), account.status.as_str()),
        ("new@example.com", user::ACTIVE)
    );

    assert_eq!(
        sign_in::redeem_link(&s.sign_in, &token, Proof::CONTINUE, visitor(), None, now)
            .await
            .unwrap(),
        Err(LinkRefusal::Dead(Rejection::AlreadyUsed))
    );
    assert_eq!(
        sign_in::check_link(&s.sign_in, &token, None, now).await.unwrap(),
        Err(DeadLink { rejection: Rejection::AlreadyUsed, resendable: true })
    );
    // The code of a consumed request is dead too.
    assert_eq!(type_code(&s, &asked.handle, &mail.code, now).await, CodeOutcome::Dead);
}

async fn links_expire_and_are_refused_when_tampered_or_revoked(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = EmailAddress::parse("alice@example.com").unwrap();
    let existing = app::services::accounts::create(&s.db.write, &alice).await.unwrap();

    let link = sign_in::issue_link(&s.sign_in, &alice, None, now).await.unwrap();
    let token = token_of(&link).to_owned();
    let later = now + Duration::from_secs(900);
    assert_eq!(
        sign_in::redeem_link(&s.sign_in, &token, Proof::CONTINUE, visitor(), None, later)
            .await
            .unwrap(),
        Err(LinkRefusal::Dead(Rejection::Expired))
    );

    let mut tampered = token.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert!(
        sign_in::redeem_link(&s.sign_in, &tampered, Proof::CONTINUE, visitor(), None, now)
            .await
            .unwrap()
            .is_err()
    );
    assert_eq!(
        sign_in::redeem_link(&s.sign_in, "not a token", Proof::CONTINUE, visitor(), None, now)
            .await
            .unwrap(),
        Err(LinkRefusal::Dead(Rejection::Malformed))
    );

    // "Sign out everywhere" bumps the epoch: outstanding links die with it.
    user::Entity::update_many()
        .col_expr(user::Column::TokenEpoch, sea_orm::sea_query::Expr::value(1))
        .filter(user::Column::Id.eq(existing.id))
        .exec(&s.db.write)
        .await
        .unwrap();
    assert_eq!(
        sign_in::redeem_link(&s.sign_in, &token, Proof::CONTINUE, visitor(), None, now)
            .await
            .unwrap(),
        Err(LinkRefusal::Dead(Rejection::BadSignature))
    );

    // A fresh link for the existing account signs into it; next defaults to the dashboard.
    let link = sign_in::issue_link(&s.sign_in, &alice, None, now).await.unwrap();
    let signed_in =
        sign_in::redeem_link(&s.sign_in, token_of(&link), Proof::CONTINUE, visitor(), None, now)
            .await
            .unwrap()
            .unwrap();
    assert_eq!((signed_in.user_id, signed_in.token_epoch), (existing.id, 1));
    assert_eq!(signed_in.next, "/dashboard");
}

/// A handle issued before handles carried their time of issue was stored as its bare
/// SHA-256: such a request, still live at an upgrade, keeps finding its row and its code.
async fn a_handle_issued_before_the_time_prefix_still_types_its_code(database: TestDatabase) {
    use sea_orm::{ActiveModelTrait as _, IntoActiveModel as _, Set};
    let s = services(&database);
    let now = SystemTime::now();
    let asked = sign_in::request(&s.sign_in, "olga@example.com", None, &origin("192.0.2.3"), now)
        .await
        .unwrap();
    // Keyed as the old layout stored it (22 characters of base64url, hashed whole), before
    // its email is prepared, as a request queued before the upgrade would be.
    let old_handle = "q7Xz0-Kd_3mWnA9bTfLc2Q";
    let row = sign_in_request::Entity::find().one(&s.db.read).await.unwrap().unwrap();
    let mut old = row.into_active_model();
    old.handle_hash = Set(support::sha256_hex(old_handle));
    old.update(&s.db.write).await.unwrap();
    let mail = support::link_mail(&s.sign_in, queued(&s).await[0].reference_id, now).await;

    assert_eq!(type_code(&s, &asked.handle, &mail.code, now).await, CodeOutcome::Dead);
    let CodeOutcome::SignedIn(signed_in) = type_code(&s, old_handle, &mail.code, now).await else {
        panic!("the old handle's code did not sign in");
    };
    assert_eq!(signed_in.email, "olga@example.com");
}

/// Five wrong codes kill the request; the right code before that signs in.
async fn codes_allow_five_wrong_tries(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let first = sign_in::request(&s.sign_in, "carol@example.com", None, &origin("192.0.2.2"), now)
        .await
        .unwrap();
    let second = sign_in::request(&s.sign_in, "carol@example.com", None, &origin("192.0.2.2"), now)
        .await
        .unwrap();
    let messages = queued(&s).await;
    let mail_1 = support::link_mail(&s.sign_in, messages[0].reference_id, now).await;
    let mail_2 = support::link_mail(&s.sign_in, messages[1].reference_id, now).await;

    for left in (1..=4).rev() {
        assert_eq!(
            type_code(&s, &first.handle, &wrong(&mail_1.code), now).await,
            CodeOutcome::Wrong { attempts_left: left }
        );
    }
    assert_eq!(type_code(&s, &first.handle, &wrong(&mail_1.code), now).await, CodeOutcome::Dead);
    // Dead means dead, even for the right code now.
    assert_eq!(type_code(&s, &first.handle, &mail_1.code, now).await, CodeOutcome::Dead);
    // A code belongs to its own request only.
    assert!(matches!(
        type_code(&s, &second.handle, &mail_1.code, now).await,
        CodeOutcome::Wrong { .. }
    ));
    // Expired requests refuse their code.
    let expired = now + Duration::from_secs(900);
    assert_eq!(type_code(&s, &second.handle, &mail_2.code, expired).await, CodeOutcome::Dead);
    let CodeOutcome::SignedIn(signed_in) = type_code(&s, &second.handle, &mail_2.code, now).await
    else {
        panic!("the right code signs in");
    };
    assert_eq!(signed_in.email, "carol@example.com");
    // …and consumes the request, so its link is spent as well.
    assert_eq!(
        sign_in::redeem_link(
            &s.sign_in,
            token_of(&mail_2.link),
            Proof::CONTINUE,
            visitor(),
            None,
            now
        )
        .await
        .unwrap(),
        Err(LinkRefusal::Dead(Rejection::AlreadyUsed))
    );
    assert_eq!(type_code(&s, "unknown handle", &mail_2.code, now).await, CodeOutcome::Dead);

    // The code is stored hashed, never in clear.
    let rows = sign_in_request::Entity::find().all(&s.db.read).await.unwrap();
    for row in rows {
        let hash = row.code_hash.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains(mail_1.code.as_str()) && !hash.contains(mail_2.code.as_str()));
    }
}

/// Five emails per address and sixty requests per IP in any 15 minutes; beyond, the same
/// answer and no mail. Windows slide: an hour later the address may ask again.
async fn rate_limits_hold_per_address_and_per_ip(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let mut outcomes = Vec::new();
    for i in 0..7 {
        let ip = format!("198.51.100.{i}");
        outcomes.push(
            sign_in::request(&s.sign_in, "dave@example.com", None, &origin(&ip), now)
                .await
                .unwrap()
                .outcome,
        );
    }
    assert_eq!(outcomes[..5], [Outcome::Queued; 5]);
    assert_eq!(outcomes[5..], [Outcome::OverAddressLimit; 2]);
    assert_eq!(queued(&s).await.len(), 5);
    let later = now + Duration::from_secs(15 * 60 + 1);
    let again =
        sign_in::request(&s.sign_in, "dave@example.com", None, &origin("198.51.100.9"), later)
            .await
            .unwrap();
    assert_eq!(again.outcome, Outcome::Queued);

    // One IP: 60 requests recorded (whatever the address), then nothing.
    for i in 0..60 {
        let outcome = sign_in::request(
            &s.sign_in,
            &format!("u{i}@example.com"),
            None,
            &origin("203.0.113.5"),
            now,
        )
        .await
        .unwrap()
        .outcome;
        assert_eq!(outcome, Outcome::Queued, "request {i}");
    }
    let over = sign_in::request(&s.sign_in, "eve@example.com", None, &origin("203.0.113.5"), now)
        .await
        .unwrap();
    assert_eq!(over.outcome, Outcome::OverIpLimit);
    // IPv6 neighbours in one /64 share the allowance.
    let from_v6 = sign_in::request(&s.sign_in, "x@example.com", None, &origin("2001:db8::1"), now)
        .await
        .unwrap();
    assert_eq!(from_v6.outcome, Outcome::Queued);

    // Malformed addresses are recorded (they count against the IP) but never mailed.
    let before = queued(&s).await.len();
    let invalid = sign_in::request(&s.sign_in, "not-an-address@", None, &origin("192.0.2.77"), now)
        .await
        .unwrap();
    assert_eq!(invalid.outcome, Outcome::InvalidAddress);
    assert_eq!(queued(&s).await.len(), before);
}

/// Requests that arrive together are written together (group commit), and still obey the
/// limits exactly, in arrival order.
async fn concurrent_requests_obey_the_limits(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let s = s.clone();
        tasks.spawn(async move {
            let ip = format!("192.0.2.{}", i % 2);
            sign_in::request(&s.sign_in, "gina@example.com", None, &origin(&ip), now)
                .await
                .unwrap()
                .outcome
        });
    }
    let outcomes = tasks.join_all().await;
    assert_eq!(outcomes.iter().filter(|o| **o == Outcome::Queued).count(), 5);
    assert_eq!(outcomes.iter().filter(|o| **o == Outcome::OverAddressLimit).count(), 35);
    assert_eq!(queued(&s).await.len(), 5);
    let recorded = sign_in_request::Entity::find().count(&s.db.read).await.unwrap();
    assert_eq!(recorded, 40);
}

/// Signing in writes the session in the same transaction, under a new id, and ends the
/// session the browser held before.
async fn signing_in_starts_a_session_and_ends_the_old_one(database: TestDatabase) {
    use sea_orm::{ActiveModelTrait as _, Set};
    let s = services(&database);
    let now = SystemTime::now();
    let old = app::entities::session::ActiveModel {
        id: Set(stored_session_id("planted")),
        data: Set("{}".into()),
        expires_at: Set(i64::MAX),
        user_id: Set(None),
    };
    old.insert(&s.db.write).await.unwrap();
    let dora = EmailAddress::parse("dora@example.com").unwrap();
    let link = sign_in::issue_link(&s.sign_in, &dora, None, now).await.unwrap();
    let signed_in = sign_in::redeem_link(
        &s.sign_in,
        token_of(&link),
        Proof::CONTINUE,
        visitor(),
        Some("planted"),
        now,
    )
    .await
    .unwrap()
    .unwrap();

    let sessions = app::entities::session::Entity::find().all(&s.db.read).await.unwrap();
    assert_eq!(sessions.len(), 1, "the planted session is gone");
    // Stored under its id's digest: the table holds nothing a browser could present.
    assert_eq!(sessions[0].id, stored_session_id(&signed_in.session_id));
    assert_ne!(sessions[0].id, signed_in.session_id);
    let data: serde_json::Value = serde_json::from_str(&sessions[0].data).unwrap();
    assert_eq!(data["auth"]["user_id"], signed_in.user_id);
    let idle = sessions[0].expires_at
        - now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert_eq!(idle, 3600, "expires after the idle timeout");

    // A refused link starts nothing.
    assert!(
        sign_in::redeem_link(&s.sign_in, token_of(&link), Proof::CONTINUE, visitor(), None, now)
            .await
            .unwrap()
            .is_err()
    );
    assert_eq!(app::entities::session::Entity::find().count(&s.db.read).await.unwrap(), 1);
}

/// Links redeemed together are written together (group commit), and each still signs in
/// exactly once: 15 links, each presented three times at once, for an account, a new
/// address and a revoked account.
async fn concurrent_redemptions_sign_in_once_per_link(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = EmailAddress::parse("alice@example.com").unwrap();
    let bob = EmailAddress::parse("bob@example.com").unwrap();
    let newcomer = EmailAddress::parse("newcomer@example.com").unwrap();
    let accounts = app::services::accounts::create;
    let alice_id = accounts(&s.db.write, &alice).await.unwrap().id;
    let bob_id = accounts(&s.db.write, &bob).await.unwrap().id;
    let mut links = Vec::new();
    for (address, count) in [(&alice, 10), (&newcomer, 5), (&bob, 2)] {
        for _ in 0..count {
            let link = sign_in::issue_link(&s.sign_in, address, None, now).await.unwrap();
            links.push((address.to_string(), token_of(&link).to_owned()));
        }
    }
    user::Entity::update_many()
        .col_expr(user::Column::TokenEpoch, sea_orm::sea_query::Expr::value(1))
        .filter(user::Column::Id.eq(bob_id))
        .exec(&s.db.write)
        .await
        .unwrap();

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..3 {
        for (address, token) in links.clone() {
            let s = s.clone();
            tasks.spawn(async move {
                (
                    address,
                    token.clone(),
                    sign_in::redeem_link(&s.sign_in, &token, Proof::CONTINUE, visitor(), None, now)
                        .await
                        .unwrap(),
                )
            });
        }
    }
    let mut signed_in = std::collections::HashMap::<String, Vec<i64>>::new();
    let mut spent = std::collections::HashSet::new();
    for (address, token, answer) in tasks.join_all().await {
        match answer {
            Ok(who) => {
                assert_eq!(who.email, address);
                assert!(spent.insert(token), "a link signed in twice");
                signed_in.entry(address).or_default().push(who.user_id);
            }
            Err(refusal) if address == bob.as_str() => {
                assert_eq!(refusal, LinkRefusal::Dead(Rejection::BadSignature));
            }
            Err(refusal) => assert_eq!(refusal, LinkRefusal::Dead(Rejection::AlreadyUsed)),
        }
    }
    assert_eq!(signed_in[alice.as_str()], vec![alice_id; 10]);
    let newcomer_ids = &signed_in[newcomer.as_str()];
    assert_eq!(newcomer_ids.len(), 5);
    assert!(newcomer_ids.iter().all(|id| *id == newcomer_ids[0]), "one account per address");
    assert!(!signed_in.contains_key(bob.as_str()));
    assert_eq!(user::Entity::find().count(&s.db.read).await.unwrap(), 3);
    // One security-activity entry per sign-in, none for the refused, written with them.
    let events = app::entities::security_event::Entity::find().all(&s.db.read).await.unwrap();
    assert_eq!(events.len(), 15);
    assert_eq!(events.iter().filter(|e| e.user_id == alice_id).count(), 10);
    assert!(events.iter().all(|e| e.kind == "signed_in_link" && e.user_id != bob_id));
}

/// A link is spent by its request row: presented eight times at once on two instances (two
/// sets of services, so two writers contending for the row), it signs in once.
async fn a_link_signs_in_once_across_instances(database: TestDatabase) {
    let instances = support::two_instances(&database);
    let now = SystemTime::now();
    let alice = EmailAddress::parse("alice@example.com").unwrap();
    let link = sign_in::issue_link(&instances[0].sign_in, &alice, None, now).await.unwrap();
    let token = token_of(&link).to_owned();
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (s, token, start) = (instances[i % 2].clone(), token.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                sign_in::redeem_link(&s.sign_in, &token, Proof::CONTINUE, visitor(), None, now)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let answers = async {
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.unwrap());
        }
        answers
    };
    let answers = tokio::time::timeout(Duration::from_secs(60), answers).await.unwrap();
    assert_eq!(answers.iter().filter(|a| a.is_ok()).count(), 1, "{answers:?}");
    for refused in answers.iter().filter_map(|a| a.as_ref().err()) {
        assert_eq!(refused, &LinkRefusal::Dead(Rejection::AlreadyUsed));
    }
}

/// Claims are exclusive and leased: a worker that dies mid-delivery loses nothing.
async fn outbox_claims_are_leased(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    sign_in::request(&s.sign_in, "frank@example.com", None, &origin("192.0.2.3"), now)
        .await
        .unwrap();
    let lease = Duration::from_secs(60);
    let claimed = outbox::claim_due(&s.db.write, now, lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].attempts, 1);
    // Claimed: nobody else gets it while the lease runs…
    assert!(outbox::claim_due(&s.db.write, now, lease, 10).await.unwrap().is_empty());
    // …and after it runs out (the worker died), the next poll takes it over.
    let after = now + lease;
    let retaken = outbox::claim_due(&s.db.write, after, lease, 10).await.unwrap();
    assert_eq!(retaken.len(), 1);
    assert_eq!(retaken[0].attempts, 2);

    // A failure backs off; the message is due again only after the wait.
    let next = outbox::retry_later(&s.db.write, &retaken[0], "connection refused", after)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.duration_since(after).unwrap(), Duration::from_secs(2));
    assert!(
        outbox::claim_due(&s.db.write, after + Duration::from_secs(1), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let third = outbox::claim_due(&s.db.write, next, lease, 10).await.unwrap();
    assert_eq!(third.len(), 1);
    outbox::mark_sent(&s.db.write, third[0].id, next).await.unwrap();
    let sent = queued(&s).await;
    assert_eq!((sent[0].status.as_str(), sent[0].attempts), ("sent", 3));
    assert!(
        outbox::claim_due(&s.db.write, next + Duration::from_secs(3600), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A session ended while a request of its was in flight is not written back when that
/// request saves it (the store's save never inserts).
async fn an_ended_session_is_never_written_back(database: TestDatabase) {
    use app::services::sessions::SeaOrmSessionStore;
    use tower_sessions::session::Record;
    use tower_sessions::session_store::SessionStore as _;
    let s = services(&database);
    let store = SeaOrmSessionStore::new(&s.sessions);
    let mut record = Record {
        id: tower_sessions::session::Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    store.create(&mut record).await.unwrap();
    let in_flight = store.load(&record.id).await.unwrap().unwrap();
    store.delete(&record.id).await.unwrap();
    store.save(&in_flight).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_none());
    assert_eq!(app::entities::session::Entity::find().count(&s.db.read).await.unwrap(), 0);
}

/// A retried delivery sends the first one's code (derived, not drawn again), hashed once,
/// so the first email keeps working and retries add no valid code. A message whose every
/// claim ran out is marked failed, never left pending.
async fn retries_send_the_same_code_and_exhausted_mail_fails(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let asked = support::ask_sign_in(&s, "kim@example.com", "192.0.2.4", None, now).await;
    let message = queued(&s).await.pop().unwrap();
    let hash_of = || async {
        let row = sign_in_request::Entity::find_by_id(message.reference_id).one(&s.db.read);
        row.await.unwrap().unwrap().code_hash.unwrap()
    };
    let first_hash = hash_of().await;
    let retried = support::link_mail(&s.sign_in, message.reference_id, now).await;
    assert_eq!(retried.code, asked.mail.code);
    assert_eq!(hash_of().await, first_hash, "hashed once");
    // Another request gets another code.
    let other = support::ask_sign_in(&s, "kim@example.com", "192.0.2.4", None, now).await;
    assert_ne!(other.mail.code, asked.mail.code);
    // After a change of secret, a retry's code replaces the stored one, so it works.
    let rotated = services(&database);
    let retried = support::link_mail(&rotated.sign_in, message.reference_id, now).await;
    assert_ne!(hash_of().await, first_hash);
    let ip = [192, 0, 2, 4].into();
    let typed =
        sign_in::verify_code(&s.sign_in, &asked.handle, &retried.code, visitor_at(ip), None, now);
    assert!(matches!(typed.await.unwrap(), CodeOutcome::SignedIn(_)));

    let lease = Duration::from_secs(60);
    let mut at = now;
    loop {
        at += lease;
        let claimed = outbox::claim_due(&s.db.write, at, lease, 10).await.unwrap();
        if claimed.is_empty() {
            break;
        }
    }
    assert_eq!(outbox::fail_exhausted(&s.db.write, at + lease).await.unwrap(), 2);
    let statuses: Vec<String> = queued(&s).await.into_iter().map(|m| m.status).collect();
    assert_eq!(statuses, [outbox_message::FAILED, outbox_message::FAILED]);
}

on_both_databases!(
    retries_send_the_same_code_and_exhausted_mail_fails,
    an_ended_session_is_never_written_back,
    link_signs_in_once_and_creates_the_account,
    links_expire_and_are_refused_when_tampered_or_revoked,
    codes_allow_five_wrong_tries,
    a_handle_issued_before_the_time_prefix_still_types_its_code,
    rate_limits_hold_per_address_and_per_ip,
    concurrent_requests_obey_the_limits,
    concurrent_redemptions_sign_in_once_per_link,
    a_link_signs_in_once_across_instances,
    signing_in_starts_a_session_and_ends_the_old_one,
    outbox_claims_are_leased,
);
