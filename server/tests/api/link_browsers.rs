//! A sign-in link opened in a browser other than the one that asked, in each of the
//! `LATCHKEY_SIGN_IN_OTHER_BROWSER` modes, and "send me a new link" for a dead one.

use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::sign_in::{MAIL_WAIT, app_with_smtp, ask, local, location, page, set_cookies};
use crate::smtp::SignInEmail;

/// Opens `email`'s link in `browser` and returns its page.
async fn open(app: &TestApp, browser: &reqwest::Client, email: &SignInEmail) -> String {
    let opened = browser.get(local(app, &email.link)).send().await.unwrap();
    assert_eq!(location(&opened), "/signin/continue", "not signed in by opening");
    assert!(!set_cookies(&opened).join("").contains("latchkey_session="));
    let (status, body) = page(browser, &app.url("/signin/continue")).await;
    assert_eq!(status, StatusCode::OK);
    body
}

async fn post_link(
    app: &TestApp,
    browser: &reqwest::Client,
    form: &[(&str, &str)],
) -> reqwest::Response {
    browser.post(app.url("/api/sign-in/link")).form(form).send().await.unwrap()
}

/// The default: another browser (a scanner, a phone) gets a page asking for the code from
/// the same email, which no clicking scanner types. A click alone does nothing there.
#[tokio::test]
async fn another_browser_is_asked_for_the_code() {
    let (app, smtp) = app_with_smtp(&[]).await;
    let laptop = app.browser();
    ask(&app, &laptop, "nia@example.com", None).await;
    let email = SignInEmail::parse(&smtp.wait_for(1, MAIL_WAIT).await);

    let phone = app.browser();
    let body = open(&app, &phone, &email).await;
    assert!(body.contains("Continue as n•••@example.com"), "{body}");
    assert!(body.contains("type the 6-digit code") && body.contains("name=\"code\""), "{body}");
    assert!(!body.contains(">Continue<"), "{body}");

    let token = email.token();
    let clicked = post_link(&app, &phone, &[("token", token)]).await;
    assert_eq!(location(&clicked), "/signin/continue?error=format");
    let wrong = format!("{:06}", (email.code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let refused = post_link(&app, &phone, &[("token", token), ("code", &wrong)]).await;
    assert_eq!(location(&refused), "/signin/continue?error=wrong&left=4");
    let (_, body) = page(&phone, &app.url(&location(&refused))).await;
    assert!(body.contains("You have 4 more tries"), "{body}");

    let signed_in = post_link(&app, &phone, &[("token", token), ("code", &email.code)]).await;
    assert_eq!(location(&signed_in), "/dashboard");
    assert!(set_cookies(&signed_in).join("").contains("latchkey_session="));
    let (status, body) = page(&phone, &app.url("/dashboard")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("nia@example.com"), "{body}");
}

/// `confirm`: one button. `refuse`: nothing works away from the asking browser, whose
/// code form still does.
#[tokio::test]
async fn confirm_and_refuse_modes() {
    let (app, smtp) = app_with_smtp(&["--sign-in-other-browser=confirm"]).await;
    ask(&app, &app.browser(), "ola@example.com", None).await;
    let email = SignInEmail::parse(&smtp.wait_for(1, MAIL_WAIT).await);
    let phone = app.browser();
    let body = open(&app, &phone, &email).await;
    assert!(body.contains(">Continue<") && !body.contains("name=\"code\""), "{body}");
    let signed_in = post_link(&app, &phone, &[("token", email.token())]).await;
    assert_eq!(location(&signed_in), "/dashboard");

    let (app, smtp) = app_with_smtp(&["--sign-in-other-browser=refuse"]).await;
    let laptop = app.browser();
    let check = ask(&app, &laptop, "pia@example.com", None).await;
    let email = SignInEmail::parse(&smtp.wait_for(1, MAIL_WAIT).await);
    let phone = app.browser();
    let body = open(&app, &phone, &email).await;
    assert!(body.contains("only works in the browser where you asked for it"), "{body}");
    assert!(!body.contains("name=\"code\"") && !body.contains(">Continue<"), "{body}");
    let form = [("token", email.token()), ("code", email.code.as_str())];
    let refused = post_link(&app, &phone, &form).await;
    assert!(!set_cookies(&refused).join("").contains("latchkey_session="));
    let request = check.split("r=").nth(1).unwrap();
    let typed = laptop
        .post(app.url("/api/sign-in/code"))
        .form(&[("request", request), ("email", "pia@example.com"), ("code", &email.code)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&typed), "/dashboard");
}

/// A spent link's page offers a new one; the new email goes to the same address (which the
/// page never shows) and its link is bound to no browser: even the one that asked the
/// first time is asked for the code.
#[tokio::test]
async fn a_spent_link_sends_a_new_one() {
    let (app, smtp) = app_with_smtp(&[]).await;
    let laptop = app.browser();
    ask(&app, &laptop, "quin@example.com", None).await;
    let first = SignInEmail::parse(&smtp.wait_for(1, MAIL_WAIT).await);
    let opened = laptop.get(local(&app, &first.link)).send().await.unwrap();
    assert_eq!(location(&opened), "/dashboard");

    let phone = app.browser();
    let body = open(&app, &phone, &first).await;
    assert!(body.contains("This link no longer works") && body.contains("Send me a new link"));
    let resent = phone.post(app.url("/api/sign-in/link/resend")).send().await.unwrap();
    assert_eq!(location(&resent), "/signin/continue?resent=1");
    let (_, body) = page(&phone, &app.url("/signin/continue?resent=1")).await;
    assert!(body.contains("Check your email") && !body.contains("quin@"), "{body}");

    // Maildir names do not sort by arrival: pick the new one by its link.
    smtp.wait_for(2, MAIL_WAIT).await;
    let second = smtp
        .messages()
        .iter()
        .map(|raw| SignInEmail::parse(raw))
        .find(|email| email.token() != first.token())
        .expect("a second sign-in email");
    assert_eq!(second.to, "quin@example.com");
    let body = open(&app, &laptop, &second).await;
    assert!(body.contains("name=\"code\""), "{body}");
    let form = [("token", second.token()), ("code", second.code.as_str())];
    assert_eq!(location(&post_link(&app, &phone, &form).await), "/dashboard");

    // A token that is not a genuine link sends nothing, with the same answer.
    let answer = app
        .browser()
        .post(app.url("/api/sign-in/link/resend"))
        .header("cookie", "latchkey_link=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .send()
        .await
        .unwrap();
    assert_eq!(location(&answer), "/signin/continue?resent=1");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), 2);
}
