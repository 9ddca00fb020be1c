//! Changing an account's email at the service level, on SQLite and (when configured)
//! PostgreSQL: what confirming kills and keeps, "this wasn't me" before and after the
//! confirmation, taken addresses, limits, and links that must not work.

#[macro_use]
mod support;

use std::time::{Duration, SystemTime};

use app::entities::{outbox_message, personal_link, session, user};
use app::services::email_change::{self, Refusal, RequestError, UndoOutcome};
use app::services::links::Gone;
use app::services::{Services, personal_links, security, shares};
use migrations::test_database::TestDatabase;
use sea_orm::{ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _};
use support::{account, email_change_token, services, tamper_tag};
use tokens::Rejection;

const CONFIRM: &str = outbox_message::EMAIL_CHANGE;
const NOTICE: &str = outbox_message::EMAIL_CHANGE_NOTICE;

async fn reload(s: &Services, id: i64) -> user::Model {
    user::Entity::find_by_id(id).one(&s.db.read).await.unwrap().unwrap()
}

/// Who each queued email of `kind` goes to, oldest first.
async fn mailed(s: &Services, kind: &str) -> Vec<String> {
    let rows = outbox_message::Entity::find()
        .filter(outbox_message::Column::Kind.eq(kind))
        .all(&s.db.read)
        .await
        .unwrap();
    rows.into_iter().map(|m| m.recipient).collect()
}

async fn ask(s: &Services, id: i64, new: &str, now: SystemTime) -> Result<String, RequestError> {
    let account = reload(s, id).await;
    let asked = email_change::request(&s.email_changes, &account, new, now).await.unwrap();
    asked.map(|address| address.as_str().to_owned())
}

async fn confirm(s: &Services, token: &str, now: SystemTime) -> Result<String, Refusal> {
    let confirmed = email_change::confirm(&s.email_changes, token, None, now).await.unwrap();
    confirmed.map(|c| c.new_email)
}

async fn undo(s: &Services, token: &str, now: SystemTime) -> Result<UndoOutcome, Refusal> {
    email_change::undo(&s.email_changes, token, now).await.unwrap().map(|u| u.outcome)
}

/// Moves the account to `new` (asked and confirmed); returns its "this wasn't me" token.
async fn moved(s: &Services, id: i64, new: &str, now: SystemTime) -> String {
    assert!(ask(s, id, new, now).await.is_ok());
    let undo_token = email_change_token(s, id, NOTICE, now).await.unwrap();
    let token = email_change_token(s, id, CONFIRM, now).await.unwrap();
    assert!(confirm(s, &token, now).await.is_ok());
    undo_token
}

/// Confirming moves the account and kills every credential bound to it, but not its shares.
async fn confirming_moves_the_account_and_keeps_its_shares(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let link = personal_links::create(&s.personal_links, &alice, "Tablet", now).await.unwrap();
    assert!(link.is_ok());
    let report = app::services::reports::create(
        &s.reports,
        alice.id,
        &app::services::reports::Draft::parse("Q3", "").unwrap(),
        now,
    )
    .await
    .unwrap();
    let share = shares::NewShare::default();
    let shared = shares::share(&s.shares, &alice, report.id, &share, now).await.unwrap();
    let shares::Shared::Link { url: share_url, .. } = shared else { panic!("{shared:?}") };

    assert_eq!(
        ask(&s, alice.id, " Alice@New.Example ", now).await.as_deref(),
        Ok("alice@new.example")
    );
    assert_eq!(mailed(&s, CONFIRM).await, ["alice@new.example"]);
    assert_eq!(mailed(&s, NOTICE).await, ["alice@example.com"]);
    // Nothing changes before the confirmation.
    assert_eq!(reload(&s, alice.id).await.email, "alice@example.com");

    let token = email_change_token(&s, alice.id, CONFIRM, now).await.unwrap();
    let pending = email_change::check(&s.email_changes, &token, now).await.unwrap().unwrap();
    assert_eq!(
        (pending.masked_old.as_str(), pending.new_email.as_str()),
        ("a•••@example.com", "alice@new.example")
    );
    assert_eq!(confirm(&s, &token, now).await.as_deref(), Ok("alice@new.example"));

    let moved = reload(&s, alice.id).await;
    assert_eq!(moved.email, "alice@new.example");
    assert_eq!(moved.token_epoch, alice.token_epoch + 1);
    let held = personal_link::Entity::find().filter(personal_link::Column::UserId.eq(alice.id));
    assert_eq!(held.count(&s.db.read).await.unwrap(), 0, "personal links die");
    // The confirming browser got a session under the new epoch.
    let sessions = session::Entity::find().all(&s.db.read).await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert!(sessions[0].data.contains(&format!("\"token_epoch\":{}", moved.token_epoch)));
    // The share is bound to its guest, not to the owner's address.
    let share_token = share_url.split_once("token=").unwrap().1;
    let opened =
        shares::open(&s.shares, share_token, None, app::services::opens::Visit::NotCounted, now);
    assert!(matches!(opened.await.unwrap(), shares::Opening::Open(_)));

    // Spent: a second press, and the mail worker, do nothing more.
    assert_eq!(confirm(&s, &token, now).await, Err(Refusal::Invalid(Rejection::BadSignature)));
    assert!(email_change_token(&s, alice.id, CONFIRM, now).await.is_none(), "not re-sent");
}

/// A taken address gets a notice and the asker the same answer; the owner's address hears
/// of the attempt as of any other; nothing else happens.
async fn a_taken_address_is_told_and_nothing_changes(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    account(&s, "bob@example.com").await;
    assert_eq!(ask(&s, alice.id, "bob@example.com", now).await.as_deref(), Ok("bob@example.com"));
    assert_eq!(mailed(&s, outbox_message::EMAIL_TAKEN).await, ["bob@example.com"]);
    assert!(mailed(&s, CONFIRM).await.is_empty());
    assert_eq!(mailed(&s, NOTICE).await, ["alice@example.com"]);
    assert!(email_change_token(&s, alice.id, CONFIRM, now).await.is_none());
    assert_eq!(reload(&s, alice.id).await.email, "alice@example.com");

    // Taken after it was asked for: the confirmation refuses, and nothing moves.
    assert!(ask(&s, alice.id, "carol@example.com", now).await.is_ok());
    let token = email_change_token(&s, alice.id, CONFIRM, now).await.unwrap();
    account(&s, "carol@example.com").await;
    assert_eq!(confirm(&s, &token, now).await, Err(Refusal::Taken));
    assert_eq!(reload(&s, alice.id).await.email, "alice@example.com");
}

/// Bad addresses and too many requests are refused; a later request replaces an earlier one.
async fn requests_are_checked_and_limited(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    assert!(matches!(
        ask(&s, alice.id, "not an address", now).await,
        Err(RequestError::Invalid(_))
    ));
    assert_eq!(ask(&s, alice.id, "ALICE@example.com", now).await, Err(RequestError::SameAddress));

    assert!(ask(&s, alice.id, "one@example.com", now).await.is_ok());
    let first = email_change_token(&s, alice.id, CONFIRM, now).await.unwrap();
    assert!(ask(&s, alice.id, "two@example.com", now).await.is_ok());
    // The first is replaced: genuine, but it does nothing any more.
    assert_eq!(confirm(&s, &first, now).await, Err(Refusal::Gone(Gone::Revoked)));
    for n in 3..=email_change::PER_DAY {
        assert!(ask(&s, alice.id, &format!("n{n}@example.com"), now).await.is_ok());
    }
    assert_eq!(ask(&s, alice.id, "more@example.com", now).await, Err(RequestError::TooMany));
    let tomorrow = now + Duration::from_secs(86_401);
    assert!(ask(&s, alice.id, "more@example.com", tomorrow).await.is_ok());
}

/// Tampered, cross-purpose, expired and signed-out links do nothing.
async fn links_that_must_not_work(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    assert!(ask(&s, alice.id, "new@example.com", now).await.is_ok());
    let token = email_change_token(&s, alice.id, CONFIRM, now).await.unwrap();
    let undo_token = email_change_token(&s, alice.id, NOTICE, now).await.unwrap();

    let tampered = tamper_tag(&token);
    assert_eq!(confirm(&s, &tampered, now).await, Err(Refusal::Invalid(Rejection::BadSignature)));
    // Each link is of its own purpose.
    assert!(matches!(confirm(&s, &undo_token, now).await, Err(Refusal::Invalid(_))));
    assert!(matches!(undo(&s, &token, now).await, Err(Refusal::Invalid(_))));
    assert!(matches!(confirm(&s, "garbage", now).await, Err(Refusal::Invalid(_))));
    // Expired after a day.
    let late = now + Duration::from_secs(86_400 + 120);
    assert_eq!(confirm(&s, &token, late).await, Err(Refusal::Invalid(Rejection::Expired)));
    // Signing out everywhere kills the confirmation (and the change: nothing left to undo).
    security::sign_out_everywhere(&s.db, alice.id).await.unwrap();
    assert_eq!(confirm(&s, &token, now).await, Err(Refusal::Invalid(Rejection::BadSignature)));
    assert_eq!(reload(&s, alice.id).await.email, "alice@example.com");
    let undone = email_change::check_undo(&s.email_changes, &undo_token, now).await.unwrap();
    assert_eq!(undone, Err(Refusal::Gone(Gone::Revoked)));
    assert!(email_change_token(&s, alice.id, CONFIRM, now).await.is_none(), "not sent");
}

/// "This wasn't me" before the confirmation cancels and signs out everywhere.
async fn undo_before_confirming_cancels(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    assert!(ask(&s, alice.id, "mallory@example.com", now).await.is_ok());
    let token = email_change_token(&s, alice.id, CONFIRM, now).await.unwrap();
    let undo_token = email_change_token(&s, alice.id, NOTICE, now).await.unwrap();
    let undoable = email_change::check_undo(&s.email_changes, &undo_token, now).await.unwrap();
    let undoable = undoable.unwrap();
    assert!(!undoable.confirmed);
    assert_eq!(undoable.masked_new, "m•••@example.com");

    assert_eq!(undo(&s, &undo_token, now).await, Ok(UndoOutcome::Cancelled));
    let after = reload(&s, alice.id).await;
    assert_eq!(
        (after.email.as_str(), after.token_epoch),
        ("alice@example.com", alice.token_epoch + 1)
    );
    assert!(confirm(&s, &token, now).await.is_err(), "the cancelled change cannot be confirmed");
    assert_eq!(undo(&s, &undo_token, now).await, Err(Refusal::Gone(Gone::Revoked)));
    assert!(email_change_token(&s, alice.id, NOTICE, now).await.is_none(), "not sent once undone");
}

/// "This wasn't me" after an intruder confirmed a change to their own address puts the old
/// address back and ends the intruder's session; if that address was taken meanwhile, the
/// account is locked instead.
async fn undo_after_confirming_reverts(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let undo_token = moved(&s, alice.id, "mallory@example.com", now).await;
    // The intruder moves it on again, from the new address.
    assert!(ask(&s, alice.id, "mallory2@example.com", now).await.is_ok());
    let intruders_undo = email_change_token(&s, alice.id, NOTICE, now).await.unwrap();
    let again = email_change_token(&s, alice.id, CONFIRM, now).await.unwrap();
    assert!(confirm(&s, &again, now).await.is_ok());
    assert_eq!(session::Entity::find().count(&s.db.read).await.unwrap(), 2);

    let undoable = email_change::check_undo(&s.email_changes, &undo_token, now).await.unwrap();
    assert!(undoable.unwrap().confirmed);
    assert_eq!(undo(&s, &undo_token, now).await, Ok(UndoOutcome::Reverted));
    let back = reload(&s, alice.id).await;
    assert_eq!(back.email, "alice@example.com");
    assert_eq!(back.status, user::ACTIVE);
    let live = session::Entity::find().all(&s.db.read).await.unwrap();
    let epoch = format!("\"token_epoch\":{}", back.token_epoch);
    assert!(live.iter().all(|row| !row.data.contains(&epoch)), "no session survives the undo");
    // The intruder's own "this wasn't me" (of the later change) cannot take it back.
    assert_eq!(undo(&s, &intruders_undo, now).await, Err(Refusal::Gone(Gone::Revoked)));
    assert_eq!(reload(&s, alice.id).await.email, "alice@example.com");

    // Old address given meanwhile to an account by the operator (nothing else can: see
    // `the_old_address_is_kept_for_the_undo`): it cannot come back, so the account is locked.
    let bob = account(&s, "bob@example.com").await;
    let undo_token = moved(&s, bob.id, "eve@example.com", now).await;
    account(&s, "bob@example.com").await;
    assert_eq!(undo(&s, &undo_token, now).await, Ok(UndoOutcome::Deactivated));
    assert_eq!(reload(&s, bob.id).await.status, user::DEACTIVATED);
}

/// While "this wasn't me" works, the old address stays the account's: whoever got in and
/// moved it away cannot make an account there (by sharing with it, signing in with it or
/// moving another account to it) that would stop the owner from taking it back.
async fn the_old_address_is_kept_for_the_undo(database: TestDatabase) {
    use app::services::sign_in::{self, SignInEmail};
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let undo_token = moved(&s, alice.id, "mallory@example.com", now).await;

    // The intruder's other account shares a report with the old address: a guest there.
    let eve = account(&s, "eve@example.com").await;
    let draft = app::services::reports::Draft::parse("Lure", "").unwrap();
    let report = app::services::reports::create(&s.reports, eve.id, &draft, now).await.unwrap();
    let to_old = shares::NewShare {
        guest: Some(app::domain::EmailAddress::parse("alice@example.com").unwrap()),
        ..Default::default()
    };
    let shared = shares::share(&s.shares, &eve, report.id, &to_old, now).await.unwrap();
    let shares::Shared::Emailed { share_id } = shared else { panic!("{shared:?}") };

    // Moving another account there is answered as for a taken address, and says why.
    assert!(ask(&s, eve.id, "alice@example.com", now).await.is_ok());
    assert!(mailed(&s, CONFIRM).await.iter().all(|to| to != "alice@example.com"));
    let taken = email_change::prepare_mail(
        &s.email_changes,
        outbox_message::EMAIL_TAKEN,
        last_change(&s, eve.id).await,
        now,
    );
    assert!(matches!(taken.await.unwrap(), Some(email_change::ChangeMail::Reserved { .. })));

    // Signing in with it sends neither link nor code, but where the account went.
    let origin = sign_in::Origin {
        client_ip: [192, 0, 2, 7].into(),
        user_agent: "Firefox/140.0",
        browser: None,
    };
    sign_in::request(&s.sign_in, "alice@example.com", None, &origin, now).await.unwrap();
    let message = outbox_message::Entity::find()
        .filter(outbox_message::Column::Kind.eq(outbox_message::SIGN_IN))
        .one(&s.db.read)
        .await
        .unwrap()
        .unwrap();
    match sign_in::prepare_mail(&s.sign_in, message.reference_id, now).await.unwrap() {
        Some(SignInEmail::AddressKept(kept)) => assert_eq!(kept.moved_to, "m•••@example.com"),
        other => panic!("{other:?}"),
    }
    // Nor does a link made otherwise (by an operator) sign the guest in.
    let email = app::domain::EmailAddress::parse("alice@example.com").unwrap();
    let link = sign_in::issue_link(&s.sign_in, &email, None, now).await.unwrap();
    let link = link.rsplit_once("token=").unwrap().1;
    let pressed = sign_in::Proof::CONTINUE;
    let refused = sign_in::redeem_link(&s.sign_in, link, pressed, support::visitor(), None, now);
    let refused = refused.await.unwrap();
    assert_eq!(refused, Err(sign_in::LinkRefusal::Dead(Rejection::InactiveSubject)));

    // The owner takes the address back, and what was shared with it.
    assert_eq!(undo(&s, &undo_token, now).await, Ok(UndoOutcome::Reverted));
    let back = reload(&s, alice.id).await;
    assert_eq!((back.email.as_str(), back.status.as_str()), ("alice@example.com", user::ACTIVE));
    let guests = user::Entity::find().filter(user::Column::Status.eq(user::GUEST));
    assert_eq!(guests.count(&s.db.read).await.unwrap(), 0, "the guest is folded in");
    let share = app::entities::share::Entity::find_by_id(share_id).one(&s.db.read).await;
    assert_eq!(share.unwrap().unwrap().guest_id, Some(alice.id));

    // Kept only while the undo link works (7 days by default).
    let bob = account(&s, "bob@example.com").await;
    moved(&s, bob.id, "bob@new.example", now).await;
    let week = Duration::from_secs(7 * 86_400);
    let kept =
        |at| app::services::accounts::reserved(&s.db.read, "bob@example.com", None, week, at);
    assert_eq!(kept(now).await.unwrap().map(|k| k.user_id), Some(bob.id));
    assert_eq!(kept(now + week).await.unwrap(), None);
}

/// The id of the account's latest email change.
async fn last_change(s: &Services, user_id: i64) -> i64 {
    use sea_orm::QueryOrder as _;
    app::entities::email_change::Entity::find()
        .filter(app::entities::email_change::Column::UserId.eq(user_id))
        .order_by_desc(app::entities::email_change::Column::Id)
        .one(&s.db.read)
        .await
        .unwrap()
        .unwrap()
        .id
}

on_both_databases!(
    the_old_address_is_kept_for_the_undo,
    confirming_moves_the_account_and_keeps_its_shares,
    a_taken_address_is_told_and_nothing_changes,
    requests_are_checked_and_limited,
    links_that_must_not_work,
    undo_before_confirming_cancels,
    undo_after_confirming_reverts,
);
