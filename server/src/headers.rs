//! Security headers on every response.

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::middleware::Next;
use axum::response::Response;

/// Defaults that hold for everything we serve. Rendered pages set their own, stricter
/// Content-Security-Policy (with a per-response nonce); the one here covers JSON, files and
/// errors, which never need to run anything.
const DEFAULTS: [(axum::http::HeaderName, &str); 4] = [
    (CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
    (X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (X_FRAME_OPTIONS, "DENY"),
    // Links carry tokens: no page of ours should ever leak its URL to another site.
    (REFERRER_POLICY, "no-referrer"),
];

/// How the site is served, as the base URL says.
#[derive(Clone, Copy, Debug)]
pub struct Transport {
    pub https: bool,
}

/// Two years, the HSTS preload list's minimum: once a browser has seen the site over https
/// it never tries plain http again, so no network can strip the TLS from a link's request.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Middleware (`axum::middleware::from_fn_with_state`) adding each default the response lacks. Each
/// request gets the nonce its page (if it renders one) uses; an HTML page whose render did
/// not set its policy gets the page policy for that nonce, not the default.
pub async fn set_defaults(
    State(transport): State<Transport>,
    mut request: Request,
    next: Next,
) -> Response {
    let dynamic = !request.uri().path().starts_with("/pkg/");
    let nonce = app::csp::new_nonce();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let html = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html
        && !headers.contains_key(CONTENT_SECURITY_POLICY)
        && let Ok(policy) = HeaderValue::from_str(&app::csp::page_policy(&nonce.0))
    {
        headers.insert(CONTENT_SECURITY_POLICY, policy);
    }
    for (name, value) in DEFAULTS {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    if transport.https {
        headers.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    // Pages show who is signed in, hold tokens, or answer server functions: none may be
    // kept by the browser or a shared cache. Only the static bundle is cacheable.
    if dynamic {
        headers.entry(CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    }
    response
}
