use std::time::Duration;

use crate::helpers::spawn_app;

#[tokio::test]
async fn home_page_is_server_rendered_and_hydrates() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let body = response.text().await.unwrap();
    assert!(body.contains("Sign in with a link, not a password."), "{body}");
    // The hydration script loads our wasm bundle and carries this response's nonce.
    assert!(body.contains("/pkg/latchkey.js"), "{body}");
    let nonce =
        csp.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).expect("CSP has a nonce");
    assert!(body.contains(&format!("nonce=\"{nonce}\"")), "{body}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

#[tokio::test]
async fn every_response_carries_security_headers() {
    let app = spawn_app().await;
    for path in ["/", "/healthz", "/no-such-page"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert!(
            headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn unknown_paths_are_a_real_404() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("Page not found"));
}

/// Instances in one process (as in these tests) must not stall each other: listing an app's
/// routes switches Leptos's resource loading off process-wide (leptos-rs/leptos#4773), and a
/// page whose data began loading meanwhile never finished.
#[tokio::test]
async fn pages_with_data_render_while_another_instance_starts() {
    let app = spawn_app().await;
    let starting = std::thread::spawn(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let mut others = Vec::new();
        for _ in 0..20 {
            others.push(runtime.block_on(spawn_app()));
        }
        // Stop them before their folders go.
        drop(runtime);
    });
    let mut rendered = 0;
    while !starting.is_finished() || rendered == 0 {
        // This page always loads its data (here: no link cookie, so the link is dead).
        let page = async { app.client.get(app.url("/signin/continue")).send().await?.text().await };
        let body = tokio::time::timeout(Duration::from_secs(10), page).await;
        let body = body.expect("the page never finished").unwrap();
        assert!(body.contains("This link no longer works"), "{body}");
        rendered += 1;
    }
    starting.join().unwrap();
}

/// Every page's policy allows its own scripts (the nonce the server made for the request is
/// the one Leptos renders with), under concurrent load and on the not-found page too: a
/// page sent under the JSON default policy would never hydrate.
#[tokio::test]
async fn every_page_policy_matches_its_scripts() {
    let app = spawn_app().await;
    let mut fetches = tokio::task::JoinSet::new();
    // The link pages too, which the server renders with their data loaded first.
    let paths =
        ["/", "/signin", "/signin/continue", "/no-such-page", "/shared?token=x", "/reports/1/view"];
    for i in 0..42 {
        let path = paths[i % paths.len()];
        let (client, url) = (app.client.clone(), app.url(path));
        fetches.spawn(async move {
            let response = client.get(url).send().await.unwrap();
            let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
            let body = response.text().await.unwrap();
            let nonce = csp
                .split("'nonce-")
                .nth(1)
                .and_then(|s| s.split('\'').next())
                .unwrap_or_else(|| panic!("{path}: no nonce in {csp}"));
            assert!(body.contains(&format!("nonce=\"{nonce}\"")), "{path}: {csp}");
        });
    }
    while let Some(fetched) = fetches.join_next().await {
        fetched.unwrap();
    }
}
