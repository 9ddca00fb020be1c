//! The Content-Security-Policy of every rendered page (server side only).
//!
//! The server makes each page request's nonce ([`new_nonce`]) before Leptos renders, hands
//! it to Leptos as the render's nonce ([`PageNonce`]), and sets the policy from it on the way
//! out when the render did not: so the policy and the page's scripts always agree, and a
//! page never goes out under the JSON default (`default-src 'none'`), which would stop it
//! from hydrating.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::HeaderValue;
use http::header::CONTENT_SECURITY_POLICY;
use leptos::nonce::{Nonce, use_nonce};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

/// This request's nonce, put in its extensions by the server.
#[derive(Clone, Debug)]
pub struct PageNonce(pub String);

/// 128 random bits, URL-safe base64.
pub fn new_nonce() -> PageNonce {
    let mut bytes = [0; 16];
    getrandom::fill(&mut bytes).expect("the OS random number generator failed");
    PageNonce(URL_SAFE_NO_PAD.encode(bytes))
}

/// Scripts run only from our origin or with this response's nonce (the hydration script),
/// and wasm may be compiled; nothing inline, nothing framed, forms post only to us.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Makes the request's [`PageNonce`] the render's nonce (call from the render's context).
pub fn provide_page_nonce() {
    let nonce = crate::request::with_request(|parts| parts.extensions.get::<PageNonce>().cloned());
    if let Some(PageNonce(nonce)) = nonce.flatten() {
        provide_context(Nonce::from_value(nonce));
    }
}

/// Sets the policy for the nonce this render uses.
pub fn send_content_security_policy() {
    let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&page_policy(&nonce)) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}
