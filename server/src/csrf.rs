//! Cross-site request forgery protection for every state-changing request, server
//! functions included: the browser must say the request comes from our own origin.
//!
//! Browsers send `Sec-Fetch-Site` (all current ones) or at least `Origin` on every POST, and
//! a page cannot forge either. This is the fetch-metadata check that OWASP recommends and
//! Go's `http.CrossOriginProtection` implements; SameSite=Lax session cookies back it up.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

/// The one origin allowed to send state-changing requests (the base URL's).
#[derive(Clone)]
pub struct AllowedOrigin(pub Arc<str>);

pub async fn reject_cross_site(
    State(allowed): State<AllowedOrigin>,
    request: Request,
    next: Next,
) -> Response {
    if is_safe(request.method()) || comes_from(request.headers(), &allowed.0) {
        return next.run(request).await;
    }
    tracing::info!(method = %request.method(), path = request.uri().path(), "cross-site request refused");
    (StatusCode::FORBIDDEN, "Cross-site request refused. Go back, reload the page and try again.")
        .into_response()
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE)
}

fn comes_from(headers: &HeaderMap, allowed: &str) -> bool {
    // A page served under another name that resolves to us (DNS rebinding against a
    // localhost deployment) is "same-origin" to its browser, but its Origin is not ours.
    // A form posted without JavaScript from a page with `Referrer-Policy: no-referrer`
    // (ours) says `Origin: null`; then the Host it was sent to must be ours, which a
    // rebinding page's is not.
    if let Some(origin) = headers.get(header::ORIGIN)
        && origin.as_bytes() != allowed.as_bytes()
    {
        let host = headers.get(header::HOST).map(|h| h.as_bytes()).unwrap_or_default();
        let ours = allowed.split_once("://").map_or("", |(_, authority)| authority);
        if !(origin.as_bytes() == b"null" && host == ours.as_bytes()) {
            return false;
        }
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        // `none`: typed or bookmarked by the user, never another site's doing.
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    match headers.get(header::ORIGIN) {
        Some(origin) => origin.as_bytes() == allowed.as_bytes(),
        // Neither header: not a browser (curl, scripts, the benchmarks). Forgery needs a
        // victim's browser, and every browser that runs our pages sends one of them.
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap())).collect()
    }

    #[test]
    fn same_origin_only() {
        let ours = "https://latchkey.example";
        assert!(comes_from(&headers(&[("sec-fetch-site", "same-origin")]), ours));
        assert!(comes_from(&headers(&[("sec-fetch-site", "none")]), ours));
        assert!(!comes_from(&headers(&[("sec-fetch-site", "cross-site")]), ours));
        assert!(!comes_from(&headers(&[("sec-fetch-site", "same-site")]), ours));
        // Fetch metadata wins over Origin when both are present.
        assert!(!comes_from(
            &headers(&[("sec-fetch-site", "cross-site"), ("origin", "https://latchkey.example")]),
            ours
        ));
        assert!(comes_from(&headers(&[("origin", "https://latchkey.example")]), ours));
        assert!(!comes_from(&headers(&[("origin", "https://evil.example")]), ours));
        assert!(!comes_from(&headers(&[("origin", "null")]), ours));
        // A form posted without JavaScript from our own page (no-referrer makes it null).
        assert!(comes_from(
            &headers(&[
                ("sec-fetch-site", "same-origin"),
                ("origin", "null"),
                ("host", "latchkey.example")
            ]),
            ours
        ));
        assert!(!comes_from(
            &headers(&[
                ("sec-fetch-site", "same-origin"),
                ("origin", "null"),
                ("host", "rebind.example")
            ]),
            ours
        ));
        assert!(comes_from(&headers(&[]), ours));
        // Rebinding: the browser calls it same-origin, but the origin is another name.
        assert!(!comes_from(
            &headers(&[("sec-fetch-site", "same-origin"), ("origin", "http://rebind.example")]),
            ours
        ));
        assert!(comes_from(
            &headers(&[("sec-fetch-site", "same-origin"), ("origin", "https://latchkey.example")]),
            ours
        ));
        assert!(is_safe(&Method::GET) && !is_safe(&Method::POST) && !is_safe(&Method::DELETE));
    }
}
