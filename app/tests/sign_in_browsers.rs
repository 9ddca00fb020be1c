//! What a sign-in link asks of the browser it is opened in: nothing in the one that asked,
//! and in any other what `OtherBrowser` says; and "send me a new link" for a dead one.

#[macro_use]
mod support;

use std::time::{Duration, SystemTime};

use app::entities::{outbox_message, sign_in_request, user};
use app::services::sign_in::{self, Ask, CodeOutcome, DeadLink, LinkRefusal, Origin, Proof};
use app::services::{OtherBrowser, Purposes, Services};
use migrations::test_database::TestDatabase;
use sea_orm::{ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _};
use support::{Asked, ask_sign_in, services_tuned, visitor, visitor_at, wrong_code};
use tokens::Rejection;

const ASKER: &str = "the-asking-browser-secret";
const OTHER: &str = "some-other-browser-secret";

fn in_mode(database: &TestDatabase, mode: OtherBrowser) -> Services {
    services_tuned(database, &Purposes::default(), |settings| settings.other_browser = mode)
}

async fn ask(s: &Services, email: &str, now: SystemTime) -> Asked {
    ask_sign_in(s, email, "192.0.2.1", Some(ASKER), now).await
}

fn browser(secret: &str) -> Proof<'_> {
    Proof { browser: Some(secret), ..Proof::default() }
}

async fn ask_of(s: &Services, token: &str, secret: Option<&str>, now: SystemTime) -> Ask {
    sign_in::check_link(&s.sign_in, token, secret, now).await.unwrap().unwrap().ask
}

/// Opened in the browser that asked, a link signs in with nothing else: every one of that
/// browser's requests is bound to it. Elsewhere, even a pressed button is not enough.
async fn the_asking_browser_signs_in_by_opening_the_link(database: TestDatabase) {
    let s = in_mode(&database, OtherBrowser::Code);
    let now = SystemTime::now();
    let first = ask(&s, "ana@example.com", now).await;
    let second = ask(&s, "ana@example.com", now).await;
    for asked in [&first, &second] {
        assert_eq!(ask_of(&s, asked.token(), Some(ASKER), now).await, Ask::Nothing);
        assert_eq!(ask_of(&s, asked.token(), Some(OTHER), now).await, Ask::Code);
        assert_eq!(ask_of(&s, asked.token(), None, now).await, Ask::Code);
    }
    let pressed = Proof { browser: Some(OTHER), confirmed: true, ..Proof::default() };
    let refused =
        sign_in::redeem_link(&s.sign_in, first.token(), pressed, visitor(), None, now).await;
    assert_eq!(refused.unwrap(), Err(LinkRefusal::Asks(Ask::Code)));

    let signed_in =
        sign_in::redeem_link(&s.sign_in, second.token(), browser(ASKER), visitor(), None, now)
            .await
            .unwrap();
    assert_eq!(signed_in.unwrap().email, "ana@example.com");
    let again =
        sign_in::redeem_link(&s.sign_in, first.token(), browser(ASKER), visitor(), None, now).await;
    assert!(again.unwrap().is_ok(), "the first request is bound too");
    // Only the digest is stored.
    let rows = sign_in_request::Entity::find().all(&s.db.read).await.unwrap();
    assert!(
        rows.iter().all(|r| r.browser_hash.as_deref().is_some_and(|h| h.len() == 64 && h != ASKER))
    );
}

/// Each setting, in a browser that did not ask: `code` wants the code, `confirm` a click,
/// `refuse` nothing works there (the code still does on the asking page).
async fn other_browsers_get_what_the_setting_says(database: TestDatabase) {
    let now = SystemTime::now();
    for (mode, ask_there) in [
        (OtherBrowser::Code, Ask::Code),
        (OtherBrowser::Confirm, Ask::Confirm),
        (OtherBrowser::Refuse, Ask::Refuse),
    ] {
        let s = in_mode(&database, mode);
        let asked = ask(&s, &format!("{mode:?}@example.com"), now).await;
        assert_eq!(ask_of(&s, asked.token(), Some(OTHER), now).await, ask_there, "{mode:?}");
        let clicked =
            sign_in::redeem_link(&s.sign_in, asked.token(), Proof::CONTINUE, visitor(), None, now);
        let clicked = clicked.await.unwrap();
        match mode {
            OtherBrowser::Confirm => assert!(clicked.is_ok()),
            _ => assert_eq!(clicked, Err(LinkRefusal::Asks(ask_there)), "{mode:?}"),
        }
        if mode == OtherBrowser::Refuse {
            // Refused with the code too; the asking page's code form still works.
            let proof = Proof { code: Some(&asked.mail.code), confirmed: true, ..Proof::default() };
            let typed =
                sign_in::redeem_link(&s.sign_in, asked.token(), proof, visitor(), None, now).await;
            assert_eq!(typed.unwrap(), Err(LinkRefusal::Asks(Ask::Refuse)));
            let ip = [192, 0, 2, 1].into();
            let outcome = sign_in::verify_code(
                &s.sign_in,
                &asked.handle,
                &asked.mail.code,
                visitor_at(ip),
                None,
                now,
            );
            assert!(matches!(outcome.await.unwrap(), CodeOutcome::SignedIn(_)));
        }
    }
}

/// In `code` mode the link's page takes the code: wrong ones use up the request's five
/// tries, the right one signs in.
async fn a_code_typed_with_its_link_signs_in(database: TestDatabase) {
    let s = in_mode(&database, OtherBrowser::Code);
    let now = SystemTime::now();
    let asked = ask(&s, "cy@example.com", now).await;
    let wrong = wrong_code(&asked.mail.code);
    let with_wrong = Proof { browser: Some(OTHER), code: Some(&wrong), confirmed: true };
    let refused =
        sign_in::redeem_link(&s.sign_in, asked.token(), with_wrong, visitor(), None, now).await;
    assert_eq!(refused.unwrap(), Err(LinkRefusal::WrongCode { attempts_left: 4 }));
    let with_right = Proof { browser: Some(OTHER), code: Some(&asked.mail.code), confirmed: true };
    let signed_in =
        sign_in::redeem_link(&s.sign_in, asked.token(), with_right, visitor(), None, now).await;
    assert_eq!(signed_in.unwrap().unwrap().email, "cy@example.com");

    // Five wrong codes kill the link, which then offers a new one.
    let asked = ask(&s, "cy@example.com", now).await;
    for _ in 0..5 {
        let wrong = wrong_code(&asked.mail.code);
        let proof = Proof { code: Some(&wrong), ..Proof::default() };
        sign_in::redeem_link(&s.sign_in, asked.token(), proof, visitor(), None, now)
            .await
            .unwrap()
            .unwrap_err();
    }
    let proof = Proof { code: Some(&asked.mail.code), ..Proof::default() };
    let dead =
        sign_in::redeem_link(&s.sign_in, asked.token(), proof, visitor(), None, now).await.unwrap();
    assert_eq!(dead, Err(LinkRefusal::Dead(Rejection::AlreadyUsed)));
    // Its page says so, and offers a new one, rather than a code field that cannot work.
    let checked = sign_in::check_link(&s.sign_in, asked.token(), Some(OTHER), now).await.unwrap();
    assert_eq!(checked, Err(DeadLink { rejection: Rejection::AlreadyUsed, resendable: true }));
}

/// An administrator's link (`latchkey link login`) has no code: it asks for a click.
async fn an_offline_link_asks_to_confirm(database: TestDatabase) {
    let s = in_mode(&database, OtherBrowser::Code);
    let now = SystemTime::now();
    let address = app::domain::EmailAddress::parse("op@example.com").unwrap();
    let link = sign_in::issue_link(&s.sign_in, &address, None, now).await.unwrap();
    let token = link.split_once("token=").unwrap().1;
    assert_eq!(ask_of(&s, token, None, now).await, Ask::Confirm);
    assert!(
        sign_in::redeem_link(&s.sign_in, token, Proof::CONTINUE, visitor(), None, now)
            .await
            .unwrap()
            .is_ok()
    );
}

/// A spent or expired genuine link can send a new one to its address; the new request is
/// bound to no browser, so its link asks for the code even where the first was asked for.
async fn a_dead_link_sends_a_new_one_bound_to_no_browser(database: TestDatabase) {
    let s = in_mode(&database, OtherBrowser::Confirm);
    let now = SystemTime::now();
    let asked = ask(&s, "dee@example.com", now).await;
    sign_in::redeem_link(&s.sign_in, asked.token(), browser(ASKER), visitor(), None, now)
        .await
        .unwrap()
        .unwrap();
    let checked = sign_in::check_link(&s.sign_in, asked.token(), Some(ASKER), now).await.unwrap();
    assert_eq!(checked, Err(DeadLink { rejection: Rejection::AlreadyUsed, resendable: true }));

    let clicker =
        Origin { client_ip: [203, 0, 113, 4].into(), user_agent: "Safari", browser: None };
    assert!(sign_in::resend_link(&s.sign_in, asked.token(), &clicker, now).await.unwrap());
    let message = latest_message(&s).await;
    assert_eq!(message.recipient, "dee@example.com");
    let mail = support::link_mail(&s.sign_in, message.reference_id, now).await;
    let token = mail.link.split_once("token=").unwrap().1;
    let request = sign_in_request::Entity::find_by_id(message.reference_id).one(&s.db.read).await;
    let request = request.unwrap().unwrap();
    assert_eq!((request.binding.as_str(), request.browser_hash), (sign_in_request::RESEND, None));
    // Even in `confirm` mode, and in the browser that asked the first time.
    assert_eq!(ask_of(&s, token, Some(ASKER), now).await, Ask::Code);
    let pressed = Proof { browser: Some(ASKER), confirmed: true, ..Proof::default() };
    let refused =
        sign_in::redeem_link(&s.sign_in, token, pressed, visitor(), None, now).await.unwrap();
    assert_eq!(refused, Err(LinkRefusal::Asks(Ask::Code)));
    let with_code = Proof { code: Some(&mail.code), ..Proof::default() };
    assert!(
        sign_in::redeem_link(&s.sign_in, token, with_code, visitor(), None, now)
            .await
            .unwrap()
            .is_ok()
    );

    // Expired links qualify too, within the usual rate limits.
    let expiring = ask(&s, "eli@example.com", now).await;
    let later = now + Duration::from_secs(901);
    let checked = sign_in::check_link(&s.sign_in, expiring.token(), None, later).await.unwrap();
    assert_eq!(checked, Err(DeadLink { rejection: Rejection::Expired, resendable: true }));
    let before = outbox_message::Entity::find().count(&s.db.read).await.unwrap();
    assert!(sign_in::resend_link(&s.sign_in, expiring.token(), &clicker, later).await.unwrap());
    assert_eq!(outbox_message::Entity::find().count(&s.db.read).await.unwrap(), before + 1);
}

/// No new link for a tampered token, or for an account signed out everywhere (its epoch
/// moved), deactivated, or whose address changed.
async fn no_new_link_for_a_revoked_account(database: TestDatabase) {
    use sea_orm::sea_query::Expr;
    let s = in_mode(&database, OtherBrowser::Code);
    let now = SystemTime::now();
    let clicker =
        Origin { client_ip: [203, 0, 113, 4].into(), user_agent: "Safari", browser: None };
    let tampered = support::tamper_tag(ask(&s, "fay@example.com", now).await.token());
    assert!(!sign_in::resend_link(&s.sign_in, &tampered, &clicker, now).await.unwrap());

    // A link minted before the address had an account answers for the account it has now.
    let early = ask(&s, "jan@example.com", now).await;
    let account = support::account(&s, "jan@example.com").await;
    user::Entity::update_many()
        .col_expr(user::Column::Status, Expr::value(user::DEACTIVATED))
        .filter(user::Column::Id.eq(account.id))
        .exec(&s.db.write)
        .await
        .unwrap();
    let later = now + Duration::from_secs(901);
    let checked = sign_in::check_link(&s.sign_in, early.token(), None, later).await.unwrap();
    assert!(!checked.unwrap_err().resendable);

    for (email, revoke) in [
        ("gus@example.com", user::Column::TokenEpoch),
        ("hal@example.com", user::Column::Status),
        ("ivy@example.com", user::Column::Email),
    ] {
        let account = support::account(&s, email).await;
        let asked = ask(&s, email, now).await;
        let later = now + Duration::from_secs(901);
        assert!(
            sign_in::check_link(&s.sign_in, asked.token(), None, later)
                .await
                .unwrap()
                .unwrap_err()
                .resendable
        );
        let value = match revoke {
            user::Column::TokenEpoch => Expr::value(1),
            user::Column::Status => Expr::value(user::DEACTIVATED),
            _ => Expr::value(format!("moved-{email}")),
        };
        user::Entity::update_many()
            .col_expr(revoke, value)
            .filter(user::Column::Id.eq(account.id))
            .exec(&s.db.write)
            .await
            .unwrap();
        let checked = sign_in::check_link(&s.sign_in, asked.token(), None, later).await.unwrap();
        assert!(!checked.unwrap_err().resendable, "{email}");
        let before = outbox_message::Entity::find().count(&s.db.read).await.unwrap();
        assert!(!sign_in::resend_link(&s.sign_in, asked.token(), &clicker, later).await.unwrap());
        assert_eq!(outbox_message::Entity::find().count(&s.db.read).await.unwrap(), before);
    }
}

async fn latest_message(s: &Services) -> outbox_message::Model {
    use sea_orm::QueryOrder as _;
    outbox_message::Entity::find()
        .order_by_desc(outbox_message::Column::Id)
        .one(&s.db.read)
        .await
        .unwrap()
        .unwrap()
}

on_both_databases!(
    the_asking_browser_signs_in_by_opening_the_link,
    other_browsers_get_what_the_setting_says,
    a_code_typed_with_its_link_signs_in,
    an_offline_link_asks_to_confirm,
    a_dead_link_sends_a_new_one_bound_to_no_browser,
    no_new_link_for_a_revoked_account,
);
