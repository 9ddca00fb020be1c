//! Personal links and "sign out everywhere" through the real server.

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, LOCATION};
use sea_orm::{ConnectionTrait as _, Database};

use crate::helpers::{TestApp, spawn_app};
use crate::sign_in::{location, set_cookies, signed_in};

const BASE_URL: &str = "http://127.0.0.1:3000";

/// Creates a personal link in `browser`'s settings; returns its URL on the test server.
async fn create_link(app: &TestApp, browser: &reqwest::Client, name: &str) -> String {
    let created = browser
        .post(app.url("/api/settings/personal-links/create"))
        .form(&[("name", name)])
        .send()
        .await
        .unwrap();
    let to = location(&created);
    assert!(to.starts_with("/settings?created="), "{to}");
    let page = browser.get(app.url(&to)).send().await.unwrap().text().await.unwrap();
    let start = page.find(&format!("{BASE_URL}/personal?token=")).expect("the link is listed");
    let url: String = page[start..].chars().take_while(|c| *c != '"').collect();
    url.replacen(BASE_URL, &app.address, 1)
}

/// A browser signed in as `email` (through a link minted in-process with the app's own
/// database and secret, as `latchkey link login` would), which then opens `link` as if
/// typed: it must ask first.
async fn signed_in_elsewhere(app: &TestApp, link: &str, email: &str) -> reqwest::Client {
    let url = format!("sqlite://{}/db/latchkey.db", app.data_dir.path().display());
    let config = crate::helpers::config(&app.data_dir, &url, &[]);
    let services = server::startup::services(&config).await.unwrap();
    let address = app::domain::EmailAddress::parse(email).unwrap();
    let now = std::time::SystemTime::now();
    let login = app::services::sign_in::issue_link(&services.sign_in, &address, None, now);
    let login = login.await.unwrap();
    let browser = app.browser();
    let token = login.split("token=").nth(1).unwrap();
    let signed_in =
        browser.post(app.url("/api/sign-in/link")).form(&[("token", token)]).send().await.unwrap();
    assert_eq!(location(&signed_in), "/dashboard");
    let again = browser.get(link).header("sec-fetch-site", "none").send().await.unwrap();
    assert_eq!(location(&again), "/personal/continue");
    assert!(!session_set(&again));
    browser
}

fn session_set(response: &reqwest::Response) -> bool {
    set_cookies(response)
        .iter()
        .any(|c| c.starts_with("latchkey_session=") && !c.contains("Max-Age=0"))
}

#[tokio::test]
async fn a_bookmarked_link_signs_in_at_once_and_a_clicked_one_asks_first() {
    let app = spawn_app().await;
    let owner = signed_in(&app, "owner@example.com").await;
    let link = create_link(&app, &owner, "Kitchen tablet").await;

    // Typed or bookmarked: signed in at once, and the token leaves the address bar.
    let kiosk = app.browser();
    let opened = kiosk.get(&link).header("sec-fetch-site", "none").send().await.unwrap();
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&opened), "/dashboard");
    assert_eq!(opened.headers()[CACHE_CONTROL], "no-store");
    assert!(session_set(&opened));
    let dashboard = kiosk.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(dashboard.status(), StatusCode::OK);
    assert!(dashboard.text().await.unwrap().contains("owner@example.com"));

    // From another site (or a webmail): "Continue as …", and nothing before the POST.
    let clicked = app.browser();
    let opened = clicked.get(&link).header("sec-fetch-site", "cross-site").send().await.unwrap();
    assert_eq!(location(&opened), "/personal/continue");
    assert!(!session_set(&opened));
    let page = clicked.get(app.url("/personal/continue")).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(
        page.contains("Continue as o•••@example.com") && page.contains("Kitchen tablet"),
        "{page}"
    );
    let dashboard = clicked.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(location(&dashboard), "/signin?next=/dashboard");
    let token = link.split("token=").nth(1).unwrap();
    let continued = clicked
        .post(app.url("/api/personal/sign-in"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&continued), "/dashboard");
    assert!(session_set(&continued));

    // Typed into a browser signed in to another account (native apps open links as if
    // typed): asks first, and the other account stays signed in.
    let other = signed_in_elsewhere(&app, &link, "other@example.com").await;
    let dashboard = other.get(app.url("/dashboard")).send().await.unwrap();
    assert!(dashboard.text().await.unwrap().contains("other@example.com"));

    // HEAD and prefetches sign nobody in and set nothing.
    let probe = app.browser();
    let head = probe.head(&link).header("sec-fetch-site", "none").send().await.unwrap();
    assert!(set_cookies(&head).is_empty());
    let prefetch = probe
        .get(&link)
        .header("sec-fetch-site", "none")
        .header("sec-purpose", "prefetch")
        .send()
        .await
        .unwrap();
    assert_eq!(prefetch.status(), StatusCode::NO_CONTENT);
    assert!(set_cookies(&prefetch).is_empty());

    // A device signed in by a personal link cannot create another without confirming.
    let refused = kiosk
        .post(app.url("/api/settings/personal-links/create"))
        .form(&[("name", "Sneaky")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&refused), "/settings?confirm=1");

    // Revoking the link signs its devices out at once, and the link opens nothing.
    let settings = owner.get(app.url("/settings")).send().await.unwrap().text().await.unwrap();
    let id: String = settings
        .split("name=\"id\" value=\"")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let revoked = owner
        .post(app.url("/api/settings/personal-links/revoke"))
        .form(&[("id", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&revoked), "/settings?revoked=1");
    for device in [&kiosk, &clicked] {
        let dashboard = device.get(app.url("/dashboard")).send().await.unwrap();
        assert_eq!(location(&dashboard), "/signin?next=/dashboard");
    }
    let again = app.browser().get(&link).header("sec-fetch-site", "none").send().await.unwrap();
    assert_eq!(location(&again), "/personal/continue");
    assert!(!session_set(&again));
}

#[tokio::test]
async fn signing_out_everywhere_ends_sessions_and_links() {
    let app = spawn_app().await;
    let owner = signed_in(&app, "owner@example.com").await;
    let link = create_link(&app, &owner, "Laptop").await;
    let laptop = app.browser();
    let opened = laptop.get(&link).header("sec-fetch-site", "none").send().await.unwrap();
    assert_eq!(location(&opened), "/dashboard");

    let out = owner.post(app.url("/api/settings/sign-out-everywhere")).send().await.unwrap();
    assert_eq!(out.headers()[LOCATION], "/signin?signed_out=everywhere");
    for device in [&owner, &laptop] {
        let dashboard = device.get(app.url("/dashboard")).send().await.unwrap();
        assert_eq!(location(&dashboard), "/signin?next=/dashboard");
    }
    let again = app.browser().get(&link).header("sec-fetch-site", "none").send().await.unwrap();
    assert_eq!(location(&again), "/personal/continue");
    let page = app.browser().get(app.url("/signin?signed_out=everywhere")).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("signed out everywhere"));
}

/// A session written with the account's old epoch (as a sign-in whose write committed just
/// after a sign-out-everywhere leaves it: sign-in reads the account, it does not lock it)
/// signs nobody in, and is ended.
#[tokio::test]
async fn a_session_older_than_its_accounts_epoch_signs_nobody_in() {
    let app = spawn_app().await;
    let owner = signed_in(&app, "owner@example.com").await;
    let db = Database::connect(app.sqlite_url()).await.unwrap();
    // The epoch bump alone, as a sign-out-everywhere committed after the sign-in read the
    // account leaves it.
    let bump = "UPDATE users SET token_epoch = token_epoch + 1 WHERE email = 'owner@example.com'";
    db.execute_unprepared(bump).await.unwrap();
    db.close().await.unwrap();

    let dashboard = owner.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(location(&dashboard), "/signin?next=/dashboard");
    assert!(
        set_cookies(&dashboard)
            .iter()
            .any(|c| c.starts_with("latchkey_session=") && c.contains("Max-Age=0")),
        "the stale session is ended"
    );
}
