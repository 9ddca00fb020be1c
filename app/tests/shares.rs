//! Guest sharing, at the service level, on SQLite and (when configured) PostgreSQL. Time
//! is passed in, so expiry is tested without sleeping.

#[macro_use]
mod support;

use std::time::{Duration, SystemTime};

use app::domain::EmailAddress;
use app::entities::{outbox_message, share, user};
use app::services::links::Gone;
use app::services::reports::{self, Draft, LinkEmail};
use app::services::shares::{
    self, BrowserId, CodeSent, Confirmed, NewShare, Opening, ShareMessage, ShareState, Shared,
};
use app::services::{Services, security, sign_in};
use migrations::test_database::TestDatabase;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _};
use support::{account, change_email, services, tamper_tag, visitor, wrong_code};
use tokens::Rejection;

use app::services::opens::Visit;

fn email(text: &str) -> EmailAddress {
    EmailAddress::parse(text).unwrap()
}

async fn report_of(s: &Services, owner: &user::Model, title: &str, now: SystemTime) -> i64 {
    let draft = Draft::parse(title, "numbers").unwrap();
    reports::create(&s.reports, owner.id, &draft, now).await.unwrap().id
}

/// The newest queued message of `kind`.
async fn last_message(s: &Services, kind: &str) -> outbox_message::Model {
    outbox_message::Entity::find()
        .filter(outbox_message::Column::Kind.eq(kind))
        .order_by_desc(outbox_message::Column::Id)
        .one(&s.db.read)
        .await
        .unwrap()
        .unwrap()
}

/// Shares `report_id` with `guest` and returns the token the guest's email carries.
async fn share_with(
    s: &Services,
    owner: &user::Model,
    report_id: i64,
    new: NewShare,
    now: SystemTime,
) -> String {
    let shared = shares::share(&s.shares, owner, report_id, &new, now).await.unwrap();
    assert!(matches!(shared, Shared::Emailed { .. }), "{shared:?}");
    let message = last_message(s, outbox_message::SHARE).await;
    assert_eq!(Some(message.recipient.as_str()), new.guest.as_ref().map(|g| g.as_str()));
    let mail =
        shares::prepare_share_mail(&s.shares, message.reference_id, now).await.unwrap().unwrap();
    token_of(&mail.link)
}

fn token_of(url: &str) -> String {
    url.strip_prefix("https://latchkey.test/shared?token=").expect(url).to_owned()
}

async fn open(s: &Services, token: &str, now: SystemTime) -> Opening {
    shares::open(&s.shares, token, None, Visit::Person, now).await.unwrap()
}

fn title(opening: &Opening) -> Option<&str> {
    match opening {
        Opening::Open(report) => Some(&report.title),
        _ => None,
    }
}

/// The guest's email opens the report read-only, "shared by" its owner; opens are split
/// into people and automated, and HEAD/prefetch are not counted.
async fn a_guest_opens_the_share(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let id = report_of(&s, &alice, "Q3", now).await;
    let note = ShareMessage::parse("Here are the <b>numbers</b>.").unwrap();
    let new =
        NewShare { guest: Some(email("Bob@Example.com")), message: note, ..NewShare::default() };
    let token = share_with(&s, &alice, id, new, now).await;

    // The first share to an address makes a guest account, which no session can use.
    let bob = user::Entity::find()
        .filter(user::Column::Email.eq("bob@example.com"))
        .one(&s.db.read)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bob.status, user::GUEST);

    let Opening::Open(view) = open(&s, &token, now).await else { panic!("not opened") };
    assert_eq!(view.title, "Q3");
    assert_eq!(view.shared_by, "alice@example.com");
    // Plain text, kept as typed: the page and the email escape it.
    assert_eq!(view.message.as_deref(), Some("Here are the <b>numbers</b>."));
    for visit in [Visit::Person, Visit::Automated, Visit::Automated, Visit::NotCounted] {
        shares::open(&s.shares, &token, None, visit, now).await.unwrap();
    }
    reports::flush_opens(&s.reports).await.unwrap();
    let listed = shares::of_report(&s.shares, alice.id, id, now).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].guest.as_deref(), Some("bob@example.com"));
    assert_eq!((listed[0].opens_people, listed[0].opens_automated), (2, 2));
    assert!(listed[0].last_opened_at.is_some());
    assert_eq!(listed[0].link, None, "a guest's link is in the guest's email only");

    // A second share to the same address uses the same account.
    let other = report_of(&s, &alice, "Q4", now).await;
    let new = NewShare { guest: Some(email("bob@example.com")), ..NewShare::default() };
    share_with(&s, &alice, other, new, now).await;
    let bobs = user::Entity::find().filter(user::Column::Email.eq("bob@example.com"));
    assert_eq!(bobs.all(&s.db.read).await.unwrap().len(), 1);
}

/// For each way a share must fail or must not: tampered, another purpose, another share,
/// expired, revoked, its report deleted, a deactivated owner; and it survives the owner's
/// sign-out-everywhere and email change.
async fn shares_live_and_die_as_they_should(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let mallory = account(&s, "mallory@example.com").await;
    let id = report_of(&s, &alice, "A", now).await;
    let guest = || Some(email("bob@example.com"));
    let token =
        share_with(&s, &alice, id, NewShare { guest: guest(), ..Default::default() }, now).await;
    assert_eq!(title(&open(&s, &token, now).await), Some("A"));

    // Tampered, empty, huge: the generic answer, before any lookup.
    let tampered = tamper_tag(&token);
    assert_eq!(open(&s, &tampered, now).await, Opening::Invalid(Rejection::BadSignature));
    assert_eq!(open(&s, "", now).await, Opening::Invalid(Rejection::Malformed));
    assert_eq!(open(&s, &"A".repeat(5000), now).await, Opening::Invalid(Rejection::Malformed));

    // A report link of the same owner is not a share link (another purpose's key).
    assert_eq!(reports::email_link(&s.reports, &alice, id, now).await.unwrap(), LinkEmail::Queued);
    let message = last_message(&s, outbox_message::REPORT_LINK).await;
    let mail =
        reports::prepare_link_mail(&s.reports, message.reference_id, now).await.unwrap().unwrap();
    let report_token = mail.link.rsplit_once("token=").unwrap().1.to_owned();
    assert_eq!(open(&s, &report_token, now).await, Opening::Invalid(Rejection::BadSignature));

    // Another owner's share opens only that owner's report.
    let ms = report_of(&s, &mallory, "M", now).await;
    let mallorys =
        share_with(&s, &mallory, ms, NewShare { guest: guest(), ..Default::default() }, now).await;
    assert_eq!(title(&open(&s, &mallorys, now).await), Some("M"));

    // The owner signs out everywhere and changes address: the guest's link still works.
    security::sign_out_everywhere(&s.db, alice.id).await.unwrap();
    change_email(&s, alice.id, "alice@new.example").await;
    let Opening::Open(view) = open(&s, &token, now).await else { panic!("share died") };
    assert_eq!(view.shared_by, "alice@new.example");

    // Expiry: works until then, then says it expired (the tag verified).
    let week = Duration::from_secs(7 * 86400);
    let new = NewShare { guest: guest(), expires_at: Some(now + week), ..Default::default() };
    let expiring = share_with(&s, &alice, id, new, now).await;
    assert_eq!(title(&open(&s, &expiring, now + week - Duration::from_secs(1)).await), Some("A"));
    assert_eq!(open(&s, &expiring, now + week).await, Opening::Ended(Gone::Expired));
    let new = NewShare { guest: guest(), expires_at: Some(now), ..Default::default() };
    assert_eq!(
        shares::share(&s.shares, &alice, id, &new, now).await.unwrap(),
        Shared::ExpiryPassed
    );

    // Revoked: at once, and said so; only the owner can revoke.
    let share_id =
        shares::of_report(&s.shares, alice.id, id, now).await.unwrap().last().unwrap().id;
    assert!(!shares::revoke(&s.shares, mallory.id, share_id, now).await.unwrap());
    assert_eq!(title(&open(&s, &token, now).await), Some("A"));
    assert!(shares::revoke(&s.shares, alice.id, share_id, now).await.unwrap());
    assert_eq!(open(&s, &token, now).await, Opening::Ended(Gone::Revoked));
    assert!(!shares::revoke(&s.shares, alice.id, share_id, now).await.unwrap(), "once");
    let listed = shares::of_report(&s.shares, alice.id, id, now).await.unwrap();
    assert_eq!(listed.last().unwrap().state, ShareState::Revoked);
    // Its queued email, had it waited, would be dropped.
    assert!(shares::prepare_share_mail(&s.shares, share_id, now).await.unwrap().is_none());

    // Deleting the report kills its shares: the generic answer, as for any unknown row.
    assert!(reports::delete(&s.reports, alice.id, id).await.unwrap());
    assert_eq!(open(&s, &expiring, now).await, Opening::Invalid(Rejection::WrongResource));
    assert!(
        share::Entity::find()
            .filter(share::Column::ReportId.eq(id))
            .all(&s.db.read)
            .await
            .unwrap()
            .is_empty()
    );

    // A deactivated owner's shares open nothing.
    user::Entity::update_many()
        .col_expr(user::Column::Status, Expr::value(user::DEACTIVATED))
        .filter(user::Column::Id.eq(mallory.id))
        .exec(&s.db.write)
        .await
        .unwrap();
    assert_eq!(open(&s, &mallorys, now).await, Opening::Invalid(Rejection::InactiveSubject));
}

/// "Only the named guest": a browser confirms once with a code sent to the guest; the code
/// confirms only the browser that asked; the owner can reset; code emails are limited.
async fn only_the_named_guest_opens_it(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let id = report_of(&s, &alice, "Private", now).await;
    let new =
        NewShare { guest: Some(email("bob@example.com")), named_only: true, ..Default::default() };
    let token = share_with(&s, &alice, id, new, now).await;
    let (bobs, forwarded) = (BrowserId::generate(), BrowserId::generate());
    let hint = Opening::ConfirmFirst { guest_hint: "b•••@example.com".into() };

    assert_eq!(open(&s, &token, now).await, hint);
    let in_bobs = |now| shares::open(&s.shares, &token, Some(&bobs), Visit::Person, now);
    assert_eq!(in_bobs(now).await.unwrap(), hint);

    assert_eq!(shares::send_code(&s.shares, &token, &bobs, now).await.unwrap(), CodeSent::Sent);
    let message = last_message(&s, outbox_message::SHARE_CODE).await;
    assert_eq!(message.recipient, "bob@example.com");
    let mail =
        shares::prepare_code_mail(&s.shares, message.reference_id, now).await.unwrap().unwrap();
    assert_eq!(mail.valid_for, shares::CODE_LIFETIME);

    // The code works only in the browser that asked, and not after a wrong one used its
    // tries up.
    let confirm = |browser, code| shares::confirm_browser(&s.shares, &token, browser, code, now);
    assert_eq!(confirm(&forwarded, &mail.code).await.unwrap(), Confirmed::WrongCode);
    let wrong = wrong_code(&mail.code);
    assert_eq!(confirm(&bobs, &wrong).await.unwrap(), Confirmed::WrongCode);
    assert_eq!(confirm(&bobs, &mail.code).await.unwrap(), Confirmed::Confirmed);
    assert_eq!(title(&in_bobs(now).await.unwrap()), Some("Private"));
    let elsewhere = shares::open(&s.shares, &token, Some(&forwarded), Visit::Person, now);
    assert_eq!(elsewhere.await.unwrap(), hint);
    // Spent once confirmed.
    assert_eq!(confirm(&bobs, &mail.code).await.unwrap(), Confirmed::WrongCode);

    let listed = shares::of_report(&s.shares, alice.id, id, now).await.unwrap();
    assert_eq!(listed[0].browsers, 1);
    assert!(shares::reset_browsers(&s.shares, alice.id, listed[0].id, now).await.unwrap());
    assert_eq!(in_bobs(now).await.unwrap(), hint);

    // Five tries per code.
    assert_eq!(shares::send_code(&s.shares, &token, &bobs, now).await.unwrap(), CodeSent::Sent);
    let message = last_message(&s, outbox_message::SHARE_CODE).await;
    let mail =
        shares::prepare_code_mail(&s.shares, message.reference_id, now).await.unwrap().unwrap();
    for _ in 0..shares::ATTEMPTS_PER_CODE {
        assert_eq!(confirm(&bobs, &wrong).await.unwrap(), Confirmed::WrongCode);
    }
    assert_eq!(confirm(&bobs, &mail.code).await.unwrap(), Confirmed::WrongCode, "out of tries");

    // Code emails per share per hour: two sent above, but the reset ended the first one's
    // link, so it takes no place.
    for _ in 1..shares::CODE_EMAILS_PER_HOUR {
        assert_eq!(shares::send_code(&s.shares, &token, &bobs, now).await.unwrap(), CodeSent::Sent);
    }
    let over = shares::send_code(&s.shares, &token, &forwarded, now).await.unwrap();
    assert_eq!(over, CodeSent::OverLimit);
    let later = now + Duration::from_secs(3601);
    assert_eq!(shares::send_code(&s.shares, &token, &bobs, later).await.unwrap(), CodeSent::Sent);

    // A share without "only the named guest" sends no codes.
    let open_share = NewShare { guest: Some(email("carol@example.com")), ..Default::default() };
    let carols = share_with(&s, &alice, id, open_share, now).await;
    let refused = shares::send_code(&s.shares, &carols, &bobs, now).await.unwrap();
    assert_eq!(refused, CodeSent::Refused);
    // Nor may "only the named guest" go without a guest.
    let nameless = NewShare { named_only: true, ..Default::default() };
    let shared = shares::share(&s.shares, &alice, id, &nameless, now).await.unwrap();
    assert_eq!(shared, Shared::NamedNeedsGuest);
}

/// Over a day, one share's code takes at most 20 tries and one address gets at most 10
/// code emails, over all its shares.
async fn named_guest_codes_are_bounded_per_day(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let id = report_of(&s, &alice, "Private", now).await;
    let named = || NewShare {
        guest: Some(email("bob@example.com")),
        named_only: true,
        ..Default::default()
    };
    let token = share_with(&s, &alice, id, named(), now).await;
    let browser = BrowserId::generate();
    let hour = Duration::from_secs(3601);
    let mut code = None;
    for round in 0..5u32 {
        let at = now + hour * round;
        assert_eq!(
            shares::send_code(&s.shares, &token, &browser, at).await.unwrap(),
            CodeSent::Sent
        );
        let message = last_message(&s, outbox_message::SHARE_CODE).await;
        let mail =
            shares::prepare_code_mail(&s.shares, message.reference_id, at).await.unwrap().unwrap();
        let wrong = wrong_code(&mail.code);
        if round < 4 {
            for _ in 0..shares::ATTEMPTS_PER_CODE {
                let tried = shares::confirm_browser(&s.shares, &token, &browser, &wrong, at).await;
                assert_eq!(tried.unwrap(), Confirmed::WrongCode);
            }
        }
        code = Some((mail.code, at));
    }
    // Twenty tries spent today: even the right code is refused until they age out.
    let (right, at) = code.unwrap();
    let refused = shares::confirm_browser(&s.shares, &token, &browser, &right, at).await.unwrap();
    assert_eq!(refused, Confirmed::WrongCode);

    // Ten code emails to one address a day, however many shares ask; but each share keeps
    // one a day, which the others cannot take (their emails carry no link to it).
    let other = share_with(&s, &alice, id, named(), now).await;
    let late = now + hour * 5;
    for _ in 0..5 {
        assert_eq!(
            shares::send_code(&s.shares, &other, &browser, late).await.unwrap(),
            CodeSent::Sent
        );
    }
    let third = share_with(&s, &alice, id, named(), now).await;
    let ask_third = || shares::send_code(&s.shares, &third, &browser, late);
    assert_eq!(ask_third().await.unwrap(), CodeSent::Sent, "its own one");
    assert_eq!(ask_third().await.unwrap(), CodeSent::OverLimit);

    // An email the mail worker dropped (it expired in the queue) takes nobody's place.
    let dropped = last_message(&s, outbox_message::SHARE_CODE).await;
    let expired = late + shares::CODE_LIFETIME;
    assert!(
        shares::prepare_code_mail(&s.shares, dropped.reference_id, expired)
            .await
            .unwrap()
            .is_none()
    );
    app::services::outbox::drop_message(&s.db.write, dropped.id, "expired").await.unwrap();
    assert_eq!(
        shares::send_code(&s.shares, &third, &browser, expired).await.unwrap(),
        CodeSent::Sent
    );
}

/// Deleting a report ends its shares but does not give the day's shares back.
async fn deleting_a_report_gives_no_shares_back(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    for _ in 0..50 {
        let id = report_of(&s, &alice, "Spam", now).await;
        let new = NewShare { guest: Some(email("victim@example.com")), ..Default::default() };
        assert!(matches!(
            shares::share(&s.shares, &alice, id, &new, now).await.unwrap(),
            Shared::Emailed { .. }
        ));
        assert!(reports::delete(&s.reports, alice.id, id).await.unwrap());
    }
    let id = report_of(&s, &alice, "Spam", now).await;
    let new = NewShare { guest: Some(email("victim@example.com")), ..Default::default() };
    assert_eq!(shares::share(&s.shares, &alice, id, &new, now).await.unwrap(), Shared::OverLimit);
    // The rows are purged once they no longer count.
    assert_eq!(shares::purge(&s.shares, now).await.unwrap(), 0);
    let tomorrow = now + Duration::from_secs(86_401);
    assert_eq!(shares::purge(&s.shares, tomorrow).await.unwrap(), 50);
}

/// A copied link needs no address, opens the same, and the owner can copy it again.
async fn a_copied_link_shares_without_an_address(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let id = report_of(&s, &alice, "Public", now).await;
    let Shared::Link { url, .. } =
        shares::share(&s.shares, &alice, id, &NewShare::default(), now).await.unwrap()
    else {
        panic!("no link");
    };
    assert_eq!(title(&open(&s, &token_of(&url), now).await), Some("Public"));
    let listed = shares::of_report(&s.shares, alice.id, id, now).await.unwrap();
    assert_eq!(listed[0].link.as_deref(), Some(url.as_str()), "the same URL each time");
    assert_eq!(listed[0].guest, None);
    let none = outbox_message::Entity::find()
        .filter(outbox_message::Column::Kind.eq(outbox_message::SHARE));
    assert!(none.all(&s.db.read).await.unwrap().is_empty(), "no email without an address");
    // Another account cannot share Alice's report.
    let mallory = account(&s, "mallory@example.com").await;
    let theirs = shares::share(&s.shares, &mallory, id, &NewShare::default(), now).await.unwrap();
    assert_eq!(theirs, Shared::NotFound);
}

/// Shares per owner per day are limited; revoking does not give one back.
async fn shares_per_day_are_limited(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let id = report_of(&s, &alice, "Q3", now).await;
    let new = NewShare { guest: Some(email("bob@example.com")), ..Default::default() };
    for _ in 0..50 {
        let shared = shares::share(&s.shares, &alice, id, &new, now).await.unwrap();
        assert!(matches!(shared, Shared::Emailed { .. }));
    }
    let first = shares::of_report(&s.shares, alice.id, id, now).await.unwrap()[0].id;
    assert!(shares::revoke(&s.shares, alice.id, first, now).await.unwrap());
    assert_eq!(shares::share(&s.shares, &alice, id, &new, now).await.unwrap(), Shared::OverLimit);
    let tomorrow = now + Duration::from_secs(86_401);
    let shared = shares::share(&s.shares, &alice, id, &new, tomorrow).await.unwrap();
    assert!(matches!(shared, Shared::Emailed { .. }));
}

/// Whoever holds a forwarded named-guest link can spend the limits on code emails and
/// tries, but cannot keep the guest out: every code email's link opens the report in the
/// browser where the guest opens it, for a day, with no tries to spend.
async fn a_forwarded_link_cannot_keep_the_guest_out(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let id = report_of(&s, &alice, "Private", now).await;
    let new =
        NewShare { guest: Some(email("bob@example.com")), named_only: true, ..Default::default() };
    let token = share_with(&s, &alice, id, new, now).await;
    let (bobs, forwarded) = (BrowserId::generate(), BrowserId::generate());

    // The forwarded link's holder asks for every code email allowed, and guesses.
    let mut links = Vec::new();
    for _ in 0..shares::CODE_EMAILS_PER_HOUR {
        let sent = shares::send_code(&s.shares, &token, &forwarded, now).await.unwrap();
        assert_eq!(sent, CodeSent::Sent);
        let message = last_message(&s, outbox_message::SHARE_CODE).await;
        let mail = shares::prepare_code_mail(&s.shares, message.reference_id, now);
        let mail = mail.await.unwrap().unwrap();
        assert_eq!(mail.link_valid_for, Duration::from_secs(86_400));
        let (_, confirm) = mail.link.split_once("&confirm=").expect("a link to confirm with");
        assert!(mail.link.starts_with(&format!("https://latchkey.test/shared?token={token}&")));
        for _ in 0..shares::ATTEMPTS_PER_CODE {
            let wrong = wrong_code(&mail.code);
            let tried = shares::confirm_browser(&s.shares, &token, &forwarded, &wrong, now);
            assert_eq!(tried.await.unwrap(), Confirmed::WrongCode);
        }
        links.push(confirm.to_owned());
    }
    assert_eq!(
        shares::send_code(&s.shares, &token, &bobs, now).await.unwrap(),
        CodeSent::OverLimit
    );

    // Keys that are not the email's confirm nothing.
    let (code_id, key) = links[0].split_once('.').unwrap();
    let other_key = "A".repeat(22);
    for forged in [format!("{code_id}.{other_key}"), format!("{code_id}.{key}x"), key.to_owned()] {
        assert_eq!(
            by_link(&s, &token, &forwarded, &forged, now).await,
            Confirmed::WrongCode,
            "{forged}"
        );
    }
    let hint = Opening::ConfirmFirst { guest_hint: "b•••@example.com".into() };
    assert_eq!(
        shares::open(&s.shares, &token, Some(&forwarded), Visit::Person, now).await.unwrap(),
        hint
    );

    // Bob opens any of those emails' links in his browser: it opens the report there.
    assert_eq!(by_link(&s, &token, &bobs, &links[0], now).await, Confirmed::Confirmed);
    let in_bobs = shares::open(&s.shares, &token, Some(&bobs), Visit::Person, now);
    assert_eq!(title(&in_bobs.await.unwrap()), Some("Private"));

    // A day later, or once the owner resets the share's browsers, the links are done.
    let day = Duration::from_secs(86_400);
    assert_eq!(by_link(&s, &token, &forwarded, &links[1], now + day).await, Confirmed::WrongCode);
    assert!(
        shares::reset_browsers(&s.shares, alice.id, share_id_of(&s, alice.id).await, now)
            .await
            .unwrap()
    );
    assert_eq!(by_link(&s, &token, &bobs, &links[2], now).await, Confirmed::WrongCode);
    // A link of another share's email does not confirm this one.
    let other =
        NewShare { guest: Some(email("bob@example.com")), named_only: true, ..Default::default() };
    let other = share_with(&s, &alice, id, other, now).await;
    let sent = shares::send_code(&s.shares, &other, &bobs, now).await.unwrap();
    assert_eq!(sent, CodeSent::Sent);
    let message = last_message(&s, outbox_message::SHARE_CODE).await;
    let mail =
        shares::prepare_code_mail(&s.shares, message.reference_id, now).await.unwrap().unwrap();
    let (_, confirm) = mail.link.split_once("&confirm=").unwrap();
    assert_eq!(by_link(&s, &token, &forwarded, confirm, now).await, Confirmed::WrongCode);
}

/// Confirms `browser` for the share of `token` with a code email's link (its `confirm`).
async fn by_link(
    s: &Services,
    token: &str,
    browser: &BrowserId,
    confirm: &str,
    at: SystemTime,
) -> Confirmed {
    shares::confirm_browser_by_link(&s.shares, token, browser, confirm, at).await.unwrap()
}

/// The id of the owner's oldest share.
async fn share_id_of(s: &Services, owner_id: i64) -> i64 {
    let first = share::Entity::find()
        .filter(share::Column::OwnerId.eq(owner_id))
        .order_by_asc(share::Column::Id)
        .one(&s.db.read);
    first.await.unwrap().unwrap().id
}

/// A guest who signs in by email takes the account over, shares and all.
async fn a_guest_who_signs_in_becomes_an_account(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let id = report_of(&s, &alice, "Q3", now).await;
    let new = NewShare { guest: Some(email("bob@example.com")), ..Default::default() };
    let token = share_with(&s, &alice, id, new, now).await;

    let link = sign_in::issue_link(&s.sign_in, &email("bob@example.com"), None, now).await.unwrap();
    let token_in = link.rsplit_once("token=").unwrap().1;
    let signed_in =
        sign_in::redeem_link(&s.sign_in, token_in, sign_in::Proof::CONTINUE, visitor(), None, now)
            .await
            .unwrap()
            .unwrap();
    let bob = user::Entity::find_by_id(signed_in.user_id).one(&s.db.read).await.unwrap().unwrap();
    assert_eq!(bob.email, "bob@example.com");
    assert_eq!(bob.status, user::ACTIVE);
    let shared = share::Entity::find().filter(share::Column::GuestId.eq(bob.id));
    assert_eq!(shared.all(&s.db.read).await.unwrap().len(), 1, "keeps its share");
    assert_eq!(title(&open(&s, &token, now).await), Some("Q3"));
}

on_both_databases!(
    a_guest_opens_the_share,
    shares_live_and_die_as_they_should,
    only_the_named_guest_opens_it,
    a_copied_link_shares_without_an_address,
    shares_per_day_are_limited,
    a_guest_who_signs_in_becomes_an_account,
    named_guest_codes_are_bounded_per_day,
    a_forwarded_link_cannot_keep_the_guest_out,
    deleting_a_report_gives_no_shares_back,
);
