//! The read-only link pages (report links and shares) when their database fails, and at
//! paths the server does not route to them: a clear page with a status that says so,
//! never a 200 that a script would take for the report.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CACHE_CONTROL, VARY};
use sea_orm::{ConnectionTrait as _, Database};

use crate::helpers::{TestApp, spawn_app};
use crate::reports::{create_report, email_link};
use crate::shares::share;
use crate::sign_in::signed_in;

/// A report link and a share link to the same report, as their emails carry them.
async fn links(app: &TestApp) -> (String, String) {
    let owner = signed_in(app, "owner@example.com").await;
    let id = create_report(app, &owner, "Quarterly numbers", "*42*").await;
    let report_link = email_link(app, &owner, id).await;
    let share_link = share(app, &owner, id, &[("email", "guest@example.com")]).await;
    (report_link, share_link)
}

/// Runs `sql` on the app's SQLite file from a connection of its own.
async fn alter(app: &TestApp, sql: &str) {
    let db = Database::connect(app.sqlite_url()).await.unwrap();
    db.execute_unprepared(sql).await.unwrap();
    db.close().await.unwrap();
}

#[tokio::test]
async fn a_link_page_says_when_the_database_fails_and_works_again_after() {
    let app = spawn_app().await;
    let (report_link, share_link) = links(&app).await;
    let browser = app.person();

    // The tables the links are read from are gone: every read of them fails. (SQLite
    // renames the other tables' references along, and back again below.)
    alter(&app, "ALTER TABLE report_links RENAME TO report_links_away").await;
    alter(&app, "ALTER TABLE shares RENAME TO shares_away").await;

    let page = browser.get(&report_link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(page.headers()[CACHE_CONTROL], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("The report cannot be opened right now"), "{html}");
    assert!(html.contains("your link is fine"), "{html}");
    assert!(!html.contains("Quarterly numbers"), "{html}");

    let json = app.client.get(&report_link).header(ACCEPT, "application/json").send().await;
    let json = json.unwrap();
    assert_eq!(json.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json.headers()[CACHE_CONTROL], "no-store");
    assert!(json.headers().get_all(VARY).iter().any(|v| v == "Accept"));
    let body: serde_json::Value = json.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("cannot be read right now"), "{body}");

    let page = browser.get(&share_link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(page.headers()[CACHE_CONTROL], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("The report cannot be opened right now"), "{html}");

    // Nothing was lost: once the database is back, both links open the report.
    alter(&app, "ALTER TABLE report_links_away RENAME TO report_links").await;
    alter(&app, "ALTER TABLE shares_away RENAME TO shares").await;
    for link in [&report_link, &share_link] {
        let page = browser.get(link).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{link}");
        assert!(page.text().await.unwrap().contains("Quarterly numbers"), "{link}");
    }
}

#[tokio::test]
async fn a_link_at_a_path_the_server_does_not_route_opens_nothing() {
    let app = spawn_app().await;
    let (report_link, share_link) = links(&app).await;
    let browser = app.person();

    // The app's router matches these too, but the server routes them to none of the link
    // pages: they fall to the not-found answer (404), and no link is opened.
    let report_slash = report_link.replacen("/view?", "/view/?", 1);
    let share_slash = share_link.replacen("/shared?", "/shared/?", 1);
    for link in [&report_slash, &share_slash] {
        let page = browser.get(link).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::NOT_FOUND, "{link}");
        let html = page.text().await.unwrap();
        assert!(html.contains("This link does not work"), "{link}: {html}");
        assert!(!html.contains("Quarterly numbers"), "{link}: {html}");
    }
}

/// Rendered without the router, the link pages still have every page's frame: the title's
/// format, the stylesheet, the site's header, and scripts carrying the CSP's nonce.
#[tokio::test]
async fn the_link_pages_have_the_sites_frame() {
    let app = spawn_app().await;
    let (report_link, share_link) = links(&app).await;
    for link in [report_link, share_link] {
        let response = app.person().get(&link).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{link}");
        let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
        let page = response.text().await.unwrap();
        assert!(page.contains("<title>Quarterly numbers · Latchkey</title>"), "{page}");
        assert!(page.contains(r#"href="/pkg/latchkey.css""#), "{page}");
        assert!(page.contains(r#"class="site-header""#), "{page}");
        assert!(page.contains(r#"<main id="main" data-hydrated="false">"#), "{page}");
        let nonce = csp.split("'nonce-").nth(1).and_then(|n| n.split('\'').next()).unwrap();
        assert!(page.contains(&format!(r#"nonce="{nonce}""#)), "{csp}\n{page}");
    }
}
