//! Security headers on every response.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
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

/// Middleware (`axum::middleware::from_fn`) adding each default the response lacks.
pub async fn set_defaults(request: Request, next: Next) -> Response {
    let dynamic = !request.uri().path().starts_with("/pkg/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in DEFAULTS {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    // Pages show who is signed in, hold tokens, or answer server functions: none may be
    // kept by the browser or a shared cache. Only the static bundle is cacheable.
    if dynamic {
        headers.entry(CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    }
    response
}
