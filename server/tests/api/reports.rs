//! Reports and report links through the real server: the owner's pages, the emailed link
//! in another browser, JSON for scripts, and revocation.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CACHE_CONTROL, REFERRER_POLICY, VARY};

use crate::helpers::{TestApp, spawn_app};
use crate::sign_in::{location, set_cookies, signed_in};

const MAIL_WAIT: Duration = Duration::from_secs(20);
const BASE_URL: &str = "http://127.0.0.1:3000";

/// Saves a new report as a browser without JavaScript; returns its id.
pub async fn create_report(
    app: &TestApp,
    browser: &reqwest::Client,
    title: &str,
    body: &str,
) -> i64 {
    let response = browser
        .post(app.url("/api/reports/save"))
        .form(&[("title", title), ("body", body)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let to = location(&response);
    to.strip_prefix("/reports/").and_then(|id| id.parse().ok()).unwrap_or_else(|| panic!("{to}"))
}

/// Presses "Email me a link" and returns the link from the email, as the test server can
/// open it.
pub async fn email_link(app: &TestApp, browser: &reqwest::Client, report: i64) -> String {
    let before = report_links_in_mail(app).len();
    let response = browser
        .post(app.url("/api/reports/email-link"))
        .form(&[("id", report.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), format!("/reports/{report}?link=sent"));
    let deadline = std::time::Instant::now() + MAIL_WAIT;
    loop {
        let links = report_links_in_mail(app);
        if links.len() > before {
            let new =
                links.into_iter().find(|l| l.contains(&format!("/reports/{report}/"))).unwrap();
            assert!(new.starts_with(BASE_URL), "{new}");
            return new.replacen(BASE_URL, &app.address, 1);
        }
        assert!(std::time::Instant::now() < deadline, "no report email arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every report link in the .eml files written so far (each message's text part).
fn report_links_in_mail(app: &TestApp) -> Vec<String> {
    let texts = app.mail_texts();
    let words = texts.iter().flat_map(|text| text.split_whitespace());
    words.filter(|w| w.contains("/view?token=")).map(str::to_owned).collect()
}

#[tokio::test]
async fn a_report_link_opens_one_report_read_only_and_dies_on_revoke() {
    let app = spawn_app().await;
    let owner = signed_in(&app, "owner@example.com").await;
    let id = create_report(
        &app,
        &owner,
        "Quarterly numbers",
        "# Up\n\n*42*\n\n<script>alert(1)</script>",
    )
    .await;
    let other = create_report(&app, &owner, "Another", "x").await;

    let page = owner.get(app.url(&format!("/reports/{id}"))).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Quarterly numbers") && html.contains("<em>42</em>"), "{html}");
    // The owner's own source travels escaped in the hydration data; no script runs.
    assert!(!html.contains("<script>alert(1)"), "{html}");

    let link = email_link(&app, &owner, id).await;

    // A fresh browser with no session: the report, read-only, and no session starts.
    let stranger = app.browser();
    let response = stranger.get(&link).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    assert_eq!(response.headers()[REFERRER_POLICY], "no-referrer");
    assert!(response.headers().get_all(VARY).iter().any(|v| v == "Accept"));
    assert!(set_cookies(&response).iter().all(|c| !c.starts_with("latchkey_session=")));
    let body = response.text().await.unwrap();
    assert!(body.contains("Quarterly numbers") && body.contains("You are not signed in"), "{body}");
    let dashboard = stranger.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(location(&dashboard), "/signin?next=/dashboard");

    // Scripts get JSON from the same URL.
    let json = app.client.get(&link).header(ACCEPT, "application/json").send().await.unwrap();
    assert_eq!(json.status(), StatusCode::OK);
    assert!(json.headers().get_all(VARY).iter().any(|v| v == "Accept"));
    let value: serde_json::Value = json.json().await.unwrap();
    assert_eq!(value["title"], "Quarterly numbers");
    assert_eq!(value["id"], id);
    assert!(value["body_html"].as_str().unwrap().contains("<em>42</em>"));

    // For another report, the same token opens nothing.
    let elsewhere = link.replacen(&format!("/reports/{id}/"), &format!("/reports/{other}/"), 1);
    let refused = stranger.get(&elsewhere).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert!(refused.text().await.unwrap().contains("This link does not work"));
    let refused =
        app.client.get(&elsewhere).header(ACCEPT, "application/json").send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);

    // HEAD and prefetches are not opens by people; the two GETs above are.
    assert!(app.client.head(&link).send().await.unwrap().status().is_success());
    let prefetch = app.client.get(&link).header("sec-purpose", "prefetch").send().await.unwrap();
    assert_eq!(prefetch.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let listing = owner.get(app.url(&format!("/reports/{id}"))).send().await.unwrap();
    let listing = listing.text().await.unwrap();
    assert!(listing.contains("<td>2</td>"), "{listing}");

    // Revoked: at once, for the page and for scripts.
    let link_id = listing
        .split("name=\"link\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let revoked = owner
        .post(app.url("/api/reports/revoke-link"))
        .form(&[("report", id.to_string()), ("link", link_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&revoked), format!("/reports/{id}?link=revoked"));
    assert_eq!(stranger.get(&link).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let json = app.client.get(&link).header(ACCEPT, "application/json").send().await.unwrap();
    assert_eq!(json.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reports_are_their_owners_alone() {
    let app = spawn_app().await;
    let alice = signed_in(&app, "alice@example.com").await;
    let id = create_report(&app, &alice, "Private", "secret plans").await;

    let visitor = app.browser();
    let response = visitor.get(app.url(&format!("/reports/{id}"))).send().await.unwrap();
    assert_eq!(location(&response), format!("/signin?next=/reports/{id}"));
    let saved = visitor
        .post(app.url("/api/reports/save"))
        .form(&[("title", "Mine"), ("body", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&saved), "/signin?next=/dashboard");

    let page = alice.get(app.url("/dashboard")).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains(&format!("href=\"/reports/{id}\"")) && page.contains("Private"),
        "{page}"
    );
    let edited = alice
        .post(app.url("/api/reports/save"))
        .form(&[("id", id.to_string().as_str()), ("title", "Private, edited"), ("body", "**new**")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&edited), format!("/reports/{id}"));
    let page =
        alice.get(app.url(&format!("/reports/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Private, edited") && page.contains("<strong>new</strong>"), "{page}");

    let deleted =
        alice.post(app.url("/api/reports/delete")).form(&[("id", id)]).send().await.unwrap();
    assert_eq!(location(&deleted), "/dashboard?deleted=1");
    let gone = alice.get(app.url(&format!("/reports/{id}"))).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_generated_activity_report_is_built_in_the_background_and_emailed() {
    let app = spawn_app().await;
    let owner = signed_in(&app, "owner@example.com").await;
    let seen = app.mail_texts().len();
    let asked = owner.post(app.url("/api/reports/generate")).send().await.unwrap();
    let page_path = location(&asked);
    assert!(page_path.starts_with("/reports/"), "{page_path}");

    // The page says where the job is, and looks again by itself until it is ready.
    let deadline = std::time::Instant::now() + MAIL_WAIT;
    let page = loop {
        let page = owner.get(app.url(&page_path)).send().await.unwrap().text().await.unwrap();
        if page.contains("data-job=\"ready\"") {
            break page;
        }
        assert!(
            page.contains("data-job=\"queued\"") || page.contains("data-job=\"building\""),
            "{page}"
        );
        assert!(page.contains("http-equiv=\"refresh\""), "an unfinished job's page refreshes");
        assert!(std::time::Instant::now() < deadline, "the report was never built");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(!page.contains("http-equiv=\"refresh\""));
    assert!(page.contains("<svg role=\"img\""), "{page}");
    // The one event so far: the sign-in.
    assert!(page.contains("(UTC): 1 event.</p>"), "{page}");

    // The "ready" email carries a report link to it, which opens it read-only elsewhere.
    let link = crate::shares::next_mail(&app, seen, |text| {
        text.split_whitespace().find(|w| w.contains("/view?token=")).map(str::to_owned)
    })
    .await;
    let link = link.replacen(BASE_URL, &app.address, 1);
    let opened = app.browser().get(&link).send().await.unwrap();
    assert_eq!(opened.status(), StatusCode::OK);
    assert!(opened.text().await.unwrap().contains("Security events per day"));
}
