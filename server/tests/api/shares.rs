//! Guest sharing through the real server: the emailed link in the guest's browser, people
//! and automated opens, the owner's sign-out-everywhere, revocation (410), and "only the
//! named guest" with its emailed code.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, REFERRER_POLICY, USER_AGENT};

use crate::helpers::{TestApp, spawn_app};
use crate::reports::create_report;
use crate::sign_in::{location, set_cookies, signed_in};

const MAIL_WAIT: Duration = Duration::from_secs(20);
const BASE_URL: &str = "http://127.0.0.1:3000";

/// Waits for a new message whose text `pick` finds something in.
pub async fn next_mail<T>(app: &TestApp, seen: usize, pick: impl Fn(&str) -> Option<T>) -> T {
    let deadline = Instant::now() + MAIL_WAIT;
    loop {
        let texts = app.mail_texts();
        if texts.len() > seen
            && let Some(found) = texts.iter().find_map(|t| pick(t))
        {
            return found;
        }
        assert!(Instant::now() < deadline, "no such email arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn share_link(text: &str) -> Option<String> {
    text.split_whitespace().find(|w| w.contains("/shared?token=")).map(str::to_owned)
}

/// Shares report `id` from the owner's page (as a form without JavaScript) and returns the
/// link the guest's email carries, as the test server can open it.
pub async fn share(
    app: &TestApp,
    owner: &reqwest::Client,
    id: i64,
    form: &[(&str, &str)],
) -> String {
    let seen = app.mail_texts().len();
    let id_text = id.to_string();
    let mut fields = vec![("id", id_text.as_str())];
    fields.extend_from_slice(form);
    for default in [("expires", ""), ("message", "")] {
        if !form.iter().any(|(name, _)| *name == default.0) {
            fields.push(default);
        }
    }
    let response = owner.post(app.url("/api/shares/create")).form(&fields).send().await.unwrap();
    let to = location(&response);
    assert!(to.starts_with(&format!("/reports/{id}?share=sent&id=")), "{to}");
    let link = next_mail(app, seen, share_link).await;
    assert!(link.starts_with(BASE_URL), "{link}");
    link.replacen(BASE_URL, &app.address, 1)
}

async fn owners_page(app: &TestApp, owner: &reqwest::Client, id: i64) -> String {
    owner.get(app.url(&format!("/reports/{id}"))).send().await.unwrap().text().await.unwrap()
}

/// The id of the first share in the owner's list.
fn first_share_id(page: &str) -> String {
    page.split("name=\"share\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no share listed: {page}"))
        .to_owned()
}

#[tokio::test]
async fn a_guest_reads_the_share_until_it_is_revoked() {
    let app = spawn_app().await;
    let owner = signed_in(&app, "owner@example.com").await;
    let id = create_report(&app, &owner, "Quarterly numbers", "*42*").await;
    let link = share(
        &app,
        &owner,
        id,
        &[("email", "Guest@Example.com"), ("message", "Hi <b>Gus</b>, see p. 2")],
    )
    .await;

    // The guest's browser: the report, "shared by", the note as text, no session.
    let guest = app.person();
    let response = guest.get(&link).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    assert_eq!(response.headers()[REFERRER_POLICY], "no-referrer");
    assert!(set_cookies(&response).iter().all(|c| !c.starts_with("latchkey_session=")));
    let body = response.text().await.unwrap();
    assert!(body.contains("Quarterly numbers") && body.contains("<em>42</em>"), "{body}");
    assert!(body.contains("Shared with you by owner@example.com"), "{body}");
    assert!(body.contains("Hi &lt;b&gt;Gus&lt;/b&gt;, see p. 2"), "{body}");
    assert!(body.contains("noindex"), "{body}");
    let dashboard = guest.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(location(&dashboard), "/signin?next=/dashboard");
    guest.get(&link).send().await.unwrap();

    // A chat preview and a script count apart; HEAD and prefetches not at all.
    let preview = app.person();
    let previewed = preview.get(&link).header(USER_AGENT, "Slackbot-LinkExpanding 1.0").send();
    assert_eq!(previewed.await.unwrap().status(), StatusCode::OK);
    assert_eq!(app.client.head(&link).send().await.unwrap().status(), StatusCode::OK);
    let prefetch = guest.get(&link).header("sec-purpose", "prefetch").send().await.unwrap();
    assert_eq!(prefetch.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let page = owners_page(&app, &owner, id).await;
    assert!(page.contains("guest@example.com"), "{page}");
    let counts = page.split("<td>").filter_map(|c| c.split("</td>").next()).collect::<Vec<_>>();
    let people = counts.iter().position(|c| *c == "2").expect("two people");
    assert_eq!(counts.get(people + 1), Some(&"1"), "one automated: {counts:?}");

    // A tampered link gets the one generic answer.
    let mut tampered = link.clone().into_bytes();
    let inside_tag = tampered.len() - 2;
    tampered[inside_tag] = if tampered[inside_tag] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let refused = guest.get(&tampered).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert!(refused.text().await.unwrap().contains("This link does not work"));

    // The owner signs out everywhere: the share is not the owner's credential.
    let out = owner.post(app.url("/api/settings/sign-out-everywhere")).send().await.unwrap();
    assert!(out.status().is_redirection(), "{}", out.status());
    assert_eq!(guest.get(&link).send().await.unwrap().status(), StatusCode::OK);

    // Revoked: at once, and the page says so, with 410. (Signing in again reads the
    // first message in the mail folder: empty it first.)
    std::fs::remove_dir_all(app.data_dir.path().join("mail")).unwrap();
    let owner = signed_in(&app, "owner@example.com").await;
    let page = owners_page(&app, &owner, id).await;
    let revoked = owner
        .post(app.url("/api/shares/revoke"))
        .form(&[("report", id.to_string()), ("share", first_share_id(&page))])
        .send()
        .await
        .unwrap();
    assert!(location(&revoked).starts_with(&format!("/reports/{id}?share=revoked&id=")));
    let gone = guest.get(&link).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::GONE);
    assert!(gone.text().await.unwrap().contains("This share was revoked"));

    // The owner's security activity says what happened, newest first.
    let settings = owner.get(app.url("/settings")).send().await.unwrap().text().await.unwrap();
    let order = [
        "Stopped a share",
        "Signed in with an emailed link",
        "Signed out everywhere",
        "Shared “Quarterly numbers” with guest@example.com",
    ];
    let found: Vec<usize> = order
        .iter()
        .map(|what| settings.find(what).unwrap_or_else(|| panic!("{what}: {settings}")))
        .collect();
    assert!(found.windows(2).all(|w| w[0] < w[1]), "newest first: {found:?}");
    assert!(settings.contains("Firefox on Linux, 127.0.0.1"), "{settings}");
}

#[tokio::test]
async fn only_the_named_guests_browser_opens_it() {
    let app = spawn_app().await;
    let owner = signed_in(&app, "owner@example.com").await;
    let id = create_report(&app, &owner, "Board pack", "confidential").await;
    let link = share(&app, &owner, id, &[("email", "gus@example.com"), ("named_only", "on")]).await;
    let token = link.split("token=").nth(1).unwrap().to_owned();

    let guest = app.person();
    let page = guest.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Confirm it") && page.contains("g•••@example.com"), "{page}");
    assert!(!page.contains("confidential"), "{page}");

    let seen = app.mail_texts().len();
    let asked = guest
        .post(app.url("/api/shares/send-code"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&asked), format!("/shared?token={token}&code=sent"));
    assert!(set_cookies(&asked).iter().any(|c| c.starts_with("latchkey_browser=")));
    // The page reads where confirming stands from its query (the server hands it over).
    let page = guest.get(app.url(&location(&asked))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("emailed you a code") && page.contains("Send a new code"), "{page}");
    assert!(page.contains(&format!(r#"name="token" value="{token}""#)), "{page}");
    // A code email's link: one button, shown, posting the key it carries (escaped).
    let form_shown = |page: &str| {
        let form = page.find(r#"name="confirm""#).expect("the confirm form");
        let div = page[..form].rfind("<div").unwrap();
        let tag = page[div..].split('>').next().unwrap();
        !tag.contains("hidden")
    };
    assert!(!form_shown(&page), "{page}");
    let emailed = format!("/shared?token={token}&confirm=1.key%22%3E%3Cb%3E");
    let page = app.person().get(app.url(&emailed)).send().await.unwrap().text().await.unwrap();
    assert!(form_shown(&page), "{page}");
    assert!(page.contains(r#"name="confirm" value="1.key&quot;"#), "{page}");
    assert!(!page.contains(r#""><b>"#), "{page}");
    // A query that does not parse as a whole (a repeated `code`) still opens the page.
    let twice = format!("/shared?token={token}&code=sent&code=wrong");
    let page = app.person().get(app.url(&twice)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Confirm it") && page.contains("Email me a code"), "{page}");
    let code = next_mail(&app, seen, |text| {
        let line = text.lines().find(|l| l.starts_with("Your code to open"))?;
        Some(line.rsplit(": ").next()?.replace(' ', ""))
    })
    .await;
    assert_eq!(code.len(), 6, "{code}");

    // The code does nothing in another browser: it confirms the one that asked.
    let forwarded = app.person();
    let elsewhere = forwarded
        .post(app.url("/api/shares/confirm"))
        .form(&[("token", token.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&elsewhere), format!("/shared?token={token}&code=wrong"));

    let confirmed = guest
        .post(app.url("/api/shares/confirm"))
        .form(&[("token", token.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&confirmed), format!("/shared?token={token}"));
    let page = guest.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("confidential"), "{page}");
    let page = forwarded.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Confirm it") && !page.contains("confidential"), "{page}");

    let listing = owners_page(&app, &owner, id).await;
    assert!(listing.contains("1 browser confirmed"), "{listing}");
}
