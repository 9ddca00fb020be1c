//! The cookie that names this browser to named-guest shares (see
//! `services::shares::BrowserId`). Long-lived, HttpOnly and first-party only: it proves
//! nothing until the browser confirms a share with an emailed code, and the proof is the
//! database row, which dies with the share.

use tower_sessions::cookie::{Cookie, SameSite};

use crate::request::{cookie, cookie_in, send_cookie};
use crate::services::shares::BrowserId;

/// `__Host-` when served over https: the browser then refuses the cookie from any
/// subdomain or path, and without `Secure`.
fn name(secure: bool) -> &'static str {
    if secure { "__Host-latchkey_browser" } else { "latchkey_browser" }
}

/// The browser's id, if it sent one.
pub fn current(secure: bool) -> Option<BrowserId> {
    cookie(name(secure)).and_then(|value| BrowserId::parse(&value))
}

/// The id of the browser that sent `headers`, if it sent one.
pub fn in_headers(headers: &http::HeaderMap, secure: bool) -> Option<BrowserId> {
    cookie_in(headers, name(secure)).and_then(|value| BrowserId::parse(&value))
}

/// The browser's id, giving it one (with the response's `Set-Cookie`) if it has none.
pub fn current_or_new(secure: bool) -> BrowserId {
    if let Some(id) = current(secure) {
        return id;
    }
    let id = BrowserId::generate();
    let cookie = Cookie::build((name(secure), id.as_str().to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        // Browsers cap cookies at 400 days; a share outliving that asks again.
        .max_age(time::Duration::days(400))
        .build();
    send_cookie(http::HeaderValue::from_str(&cookie.to_string()).ok());
    id
}
