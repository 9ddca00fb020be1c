//! The short-lived cookies that carry a link's token from the emailed or bookmarked URL to
//! its "Continue as …" page, so the token leaves the address bar (and history, and any
//! Referer) at once. They hold nothing secret beyond the token the URL already carried.
//! Sent to every path, so that the hydrated page's server functions (under `/api`) get
//! them after a client-side navigation too, and so that `__Host-` applies over https.

use std::time::Duration;

use http::HeaderValue;
use tower_sessions::cookie::{Cookie, SameSite};

/// A link cookie: its name over plain http, and its `__Host-` name over https.
#[derive(Clone, Copy, Debug)]
pub struct LinkCookie {
    plain: &'static str,
    host: &'static str,
}

/// Sign-in links, for the sign-in pages.
pub const SIGN_IN: LinkCookie = LinkCookie { plain: "latchkey_link", host: "__Host-latchkey_link" };
/// Personal links, for their "Continue" page.
pub const PERSONAL: LinkCookie =
    LinkCookie { plain: "latchkey_personal", host: "__Host-latchkey_personal" };

impl LinkCookie {
    /// `__Host-` when served over https: the browser then refuses the cookie from any
    /// subdomain or path, and without `Secure`.
    pub fn name(self, secure: bool) -> &'static str {
        if secure { self.host } else { self.plain }
    }

    /// `Set-Cookie` for a token just taken from a link.
    pub fn set(self, token: &str, secure: bool, max_age: Duration) -> Option<HeaderValue> {
        let age = time::Duration::seconds(i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX));
        self.header(Cookie::build((self.name(secure), token.to_owned())).max_age(age), secure)
    }

    /// `Set-Cookie` that deletes it, once the link is used.
    pub fn clear(self, secure: bool) -> Option<HeaderValue> {
        self.header(Cookie::build((self.name(secure), "")).max_age(time::Duration::ZERO), secure)
    }

    fn header(
        self,
        cookie: tower_sessions::cookie::CookieBuilder<'static>,
        secure: bool,
    ) -> Option<HeaderValue> {
        let cookie =
            cookie.path("/").http_only(true).same_site(SameSite::Lax).secure(secure).build();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Over https: `__Host-`, `Secure`, `Path=/` and no `Domain`, which is what the prefix
    /// makes the browser enforce. (The browser tests run on plain http.)
    #[test]
    fn over_https_the_cookies_are_host_prefixed() {
        let age = Duration::from_secs(60);
        for cookie in [SIGN_IN, PERSONAL] {
            let set = cookie.set("abc", true, age).unwrap();
            let set = set.to_str().unwrap();
            assert!(set.starts_with("__Host-latchkey_"), "{set}");
            assert!(set.contains("Secure") && set.contains("Path=/"), "{set}");
            assert!(set.contains("HttpOnly") && !set.contains("Domain"), "{set}");
            let plain = cookie.set("abc", false, age).unwrap();
            let plain = plain.to_str().unwrap();
            assert!(plain.starts_with("latchkey_") && !plain.contains("Secure"), "{plain}");
            assert!(cookie.clear(true).unwrap().to_str().unwrap().starts_with("__Host-"));
        }
    }

    #[test]
    fn only_token_characters_can_be_a_token() {
        assert!(is_token("aZ09-_"));
        assert!(!is_token("x; Domain=evil.example"));
        assert!(!is_token(""));
        assert!(!is_token(&"a".repeat(MAX_TOKEN_LEN + 1)));
    }
}
