//! The short-lived cookies that carry a link's token from the emailed or bookmarked URL to
//! its "Continue as …" page, so the token leaves the address bar (and history, and any
//! Referer) at once. They hold nothing secret beyond the token the URL already carried.

use std::time::Duration;

use http::HeaderValue;
use tower_sessions::cookie::{Cookie, SameSite};

/// A link cookie: its name, and the only path it is sent to.
#[derive(Clone, Copy, Debug)]
pub struct LinkCookie {
    pub name: &'static str,
    path: &'static str,
}

/// Sign-in links, for the sign-in pages.
pub const SIGN_IN: LinkCookie = LinkCookie { name: "latchkey_link", path: "/signin" };
/// Personal links, for their "Continue" page.
pub const PERSONAL: LinkCookie = LinkCookie { name: "latchkey_personal", path: "/personal" };

impl LinkCookie {
    /// `Set-Cookie` for a token just taken from a link.
    pub fn set(self, token: &str, secure: bool, max_age: Duration) -> Option<HeaderValue> {
        let age = time::Duration::seconds(i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX));
        self.header(Cookie::build((self.name, token.to_owned())).max_age(age), secure)
    }

    /// `Set-Cookie` that deletes it, once the link is used.
    pub fn clear(self, secure: bool) -> Option<HeaderValue> {
        self.header(Cookie::build((self.name, "")).max_age(time::Duration::ZERO), secure)
    }

    fn header(
        self,
        cookie: tower_sessions::cookie::CookieBuilder<'static>,
        secure: bool,
    ) -> Option<HeaderValue> {
        let cookie =
            cookie.path(self.path).http_only(true).same_site(SameSite::Lax).secure(secure).build();
        HeaderValue::from_str(&cookie.to_string()).ok()
    }
}

/// Far above any real token; anything longer is not worth a cookie.
const MAX_TOKEN_LEN: usize = 256;

/// Whether `text` can be a token: only the token alphabet (URL-safe base64), so nothing
/// can add attributes to a `Set-Cookie` header (`x; Domain=…`).
pub fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_TOKEN_LEN
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
