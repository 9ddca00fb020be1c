//! The Access page through the real server: every signed-in browser of the account, each
//! of which can be signed out from another, and the account's shares with their revoke.

use reqwest::StatusCode;

use crate::helpers::spawn_app;
use crate::reports::create_report;
use crate::sign_in::{location, signed_in};

/// The handles of the sessions listed, with whether each is the asking browser's.
fn sessions_listed(page: &str) -> Vec<(String, bool)> {
    page.split("<li>")
        .skip(1)
        .filter_map(|item| {
            let handle = item.split("name=\"handle\" value=\"").nth(1)?.split('"').next()?;
            Some((handle.to_owned(), item.contains("This device")))
        })
        .collect()
}

#[tokio::test]
async fn the_access_page_signs_out_another_browser_and_stops_shares() {
    let app = spawn_app().await;
    let laptop = signed_in(&app, "owner@example.com").await;
    std::fs::remove_dir_all(app.data_dir.path().join("mail")).unwrap();
    let tablet = signed_in(&app, "owner@example.com").await;
    assert_eq!(tablet.get(app.url("/dashboard")).send().await.unwrap().status(), StatusCode::OK);
    let id = create_report(&app, &laptop, "Board pack", "x").await;
    let shared = laptop
        .post(app.url("/api/shares/create-link"))
        .form(&[("id", id.to_string().as_str()), ("expires", "")])
        .send()
        .await
        .unwrap();
    assert!(location(&shared).contains("share=link"), "{}", location(&shared));

    let page = laptop.get(app.url("/access")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    let listed = sessions_listed(&page);
    assert_eq!(listed.len(), 2, "{page}");
    assert_eq!(listed.iter().filter(|(_, this)| *this).count(), 1, "{page}");
    assert!(page.contains("Firefox on Linux, 127.0.0.1"), "{page}");
    assert!(page.contains("“Board pack”, anyone with the link"), "{page}");

    // The laptop signs the tablet out; the laptop stays signed in.
    let (other, _) = listed.iter().find(|(_, this)| !this).unwrap();
    let ended = laptop
        .post(app.url("/api/access/end-session"))
        .form(&[("handle", other.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&ended), format!("/access?revoked=session-{other}"));
    let tablet_now = tablet.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(location(&tablet_now), "/signin?next=/dashboard");
    let page = laptop.get(app.url("/access")).send().await.unwrap().text().await.unwrap();
    assert_eq!(sessions_listed(&page).len(), 1, "{page}");

    // A handle of nobody's session ends nothing.
    let unknown = laptop
        .post(app.url("/api/access/end-session"))
        .form(&[("handle", "0123456789abcdef")])
        .send()
        .await
        .unwrap();
    assert!(location(&unknown).starts_with("/access?revoked="));
    assert_eq!(laptop.get(app.url("/dashboard")).send().await.unwrap().status(), StatusCode::OK);

    // Stopping the share from here.
    let share_id = page
        .split("name=\"share\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let stopped = laptop
        .post(app.url("/api/shares/revoke"))
        .form(&[("report", id.to_string()), ("share", share_id.clone()), ("back", "access".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&stopped), format!("/access?revoked=share-{share_id}"));
    let page = laptop.get(app.url("/access")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("You are not sharing any report."), "{page}");

    // Its own session, signed out from here, is signed out for good.
    let own = sessions_listed(&page).into_iter().find(|(_, this)| *this).unwrap().0;
    let out = laptop
        .post(app.url("/api/access/end-session"))
        .form(&[("handle", own.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&out), "/signin?signed_out=1");
    let after = laptop.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(location(&after), "/signin?next=/dashboard");
}
