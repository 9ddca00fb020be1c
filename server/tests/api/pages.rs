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
