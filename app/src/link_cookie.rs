//! The short-lived cookie that carries a sign-in link's token from the emailed URL to the
//! "Continue as …" page, so the token leaves the address bar (and history, and any
//! Referer) at once. It holds nothing secret beyond the token the URL already carried.

use std::time::Duration;

use http::HeaderValue;
use tower_sessions::cookie::{Cookie, SameSite};

pub const NAME: &str = "latchkey_link";
/// Sent only to the sign-in pages.
const PATH: &str = "/signin";

/// `Set-Cookie` for a token just taken from a link.
pub fn set(token: &str, secure: bool, max_age: Duration) -> Option<HeaderValue> {
    let age = time::Duration::seconds(i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX));
    header(Cookie::build((NAME, token.to_owned())).max_age(age), secure)
}

/// `Set-Cookie` that deletes it, once the link is used.
pub fn clear(secure: bool) -> Option<HeaderValue> {
    header(Cookie::build((NAME, "")).max_age(time::Duration::ZERO), secure)
}

fn header(
    cookie: tower_sessions::cookie::CookieBuilder<'static>,
    secure: bool,
) -> Option<HeaderValue> {
    let cookie = cookie.path(PATH).http_only(true).same_site(SameSite::Lax).secure(secure).build();
    HeaderValue::from_str(&cookie.to_string()).ok()
}
