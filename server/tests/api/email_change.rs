//! Changing the email through the real server: the request from Settings, the confirmation
//! link (nothing on GET, everything on the POST), and "this wasn't me" undoing it.

use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn_app};
use crate::shares::next_mail;
use crate::sign_in::{location, set_cookies, signed_in};

const BASE_URL: &str = "http://127.0.0.1:3000";

/// The first link to `path` in a new email, as the test server can open it.
async fn mailed_link(app: &TestApp, seen: usize, path: &str) -> String {
    let marker = format!("{BASE_URL}{path}?token=");
    let link = next_mail(app, seen, |text| {
        text.split_whitespace().find(|w| w.starts_with(&marker)).map(str::to_owned)
    })
    .await;
    link.replacen(BASE_URL, &app.address, 1)
}

fn token_of(link: &str) -> String {
    link.split_once("token=").unwrap().1.to_owned()
}

async fn text(browser: &reqwest::Client, url: &str) -> (StatusCode, String) {
    let response = browser.get(url).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn an_email_change_is_confirmed_by_the_new_address_and_undone_by_the_old() {
    let app = spawn_app().await;
    let owner = signed_in(&app, "owner@example.com").await;
    let seen = app.mail_texts().len();

    let asked = owner
        .post(app.url("/api/settings/email"))
        .form(&[("email", "new@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&asked), "/settings?email_sent=new%40example.com#email-title");
    let confirm_link = mailed_link(&app, seen, "/email/confirm").await;
    let undo_link = mailed_link(&app, seen, "/email/undo").await;

    // Opening the link (as a mail scanner would) shows the question and changes nothing.
    let (status, page) = text(&app.browser(), &confirm_link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Confirm your new email address") && page.contains("new@example.com"));
    let (_, settings) = text(&owner, &app.url("/settings")).await;
    assert!(settings.contains("owner@example.com"), "unchanged before the POST");

    // The POST changes it, signs the confirming browser in, and everyone else out.
    let confirming = app.browser();
    let confirmed = confirming
        .post(app.url("/api/email/confirm"))
        .form(&[("token", token_of(&confirm_link).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&confirmed), "/settings?email_changed=1#email-title");
    assert!(set_cookies(&confirmed).iter().any(|c| c.starts_with("latchkey_session=")));
    let (_, settings) = text(&confirming, &app.url(&location(&confirmed))).await;
    assert!(
        settings.contains("new@example.com") && settings.contains("Your email address is changed"),
        "{settings}"
    );
    let dashboard = owner.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(location(&dashboard), "/signin?next=/dashboard");
    // Spent.
    let (status, page) = text(&app.browser(), &confirm_link).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("This link no longer works"));

    // "This wasn't me", from the old address: the question first, then the undo.
    let (status, page) = text(&app.browser(), &undo_link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("puts owner@example.com back"), "{page}");
    let undone = app
        .browser()
        .post(app.url("/api/email/undo"))
        .form(&[("token", token_of(&undo_link).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&undone), "/email/undo?done=reverted");
    let dashboard = confirming.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(location(&dashboard), "/signin?next=/dashboard", "the new address's session ended");
    let (status, page) = text(&app.browser(), &undo_link).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("already settled"));

    // The old address signs in to the account again; the security activity says what happened.
    let back = signed_in(&app, "owner@example.com").await;
    let (_, settings) = text(&back, &app.url("/settings")).await;
    assert!(settings.contains("Changed the email address to new@example.com"), "{settings}");
    assert!(settings.contains("Undid the change of address to new@example.com"));
}

#[tokio::test]
async fn a_taken_address_gets_the_same_answer_and_a_notice() {
    let app = spawn_app().await;
    signed_in(&app, "taken@example.com").await;
    let owner = signed_in(&app, "owner@example.com").await;
    let seen = app.mail_texts().len();
    let asked = owner
        .post(app.url("/api/settings/email"))
        .form(&[("email", "taken@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&asked), "/settings?email_sent=taken%40example.com#email-title");
    let notice = next_mail(&app, seen, |text| {
        text.contains("This address already has a Latchkey account").then_some(())
    });
    notice.await;

    // Bad input is said on the page, not as an error.
    let bad = owner
        .post(app.url("/api/settings/email"))
        .form(&[("email", "nobody")])
        .send()
        .await
        .unwrap();
    assert!(location(&bad).starts_with("/settings?email_error="), "{}", location(&bad));
    // A tampered link gets the generic page.
    let (status, page) = text(&app.browser(), &app.url("/email/confirm?token=AAAA")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("This link no longer works"));
}
