//! The cookie that binds sign-in requests to the browser that made them: opened there, a
//! request's link signs in at once, since nobody else (a mail scanner above all) holds it.
//! One secret per browser, reused by each of its requests so that all stay bound, and
//! kept one link lifetime past the latest; the database keeps only its digest.

use tower_sessions::cookie::{Cookie, SameSite};

use crate::request::{cookie, cookie_in, send_cookie};
use crate::services::Services;

/// `__Host-` when served over https: the browser then refuses the cookie from any
/// subdomain or path, and without `Secure`.
pub fn name(secure: bool) -> &'static str {
    if secure { "__Host-latchkey_asked" } else { "latchkey_asked" }
}

/// The secret of the browser this server function serves, if it sent one.
pub fn current(secure: bool) -> Option<String> {
    cookie(name(secure)).filter(|value| crate::link_cookie::is_token(value))
}

/// The secret in a request's `headers`, if it sent one.
pub fn in_headers(headers: &http::HeaderMap, secure: bool) -> Option<String> {
    cookie_in(headers, name(secure)).filter(|value| crate::link_cookie::is_token(value))
}

/// The browser's secret (a new one if it has none), its cookie renewed for one link
/// lifetime: what to make a sign-in request with.
pub fn keep(services: &Services) -> String {
    let secure = services.settings.secure_cookies;
    let lifetime = crate::services::sign_in::login_max_age(&services.scopes);
    let secret = current(secure).unwrap_or_else(crate::services::sign_in::new_browser_secret);
    let age = time::Duration::seconds(i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX));
    let cookie = Cookie::build((name(secure), secret.clone()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(age)
        .build();
    send_cookie(http::HeaderValue::from_str(&cookie.to_string()).ok());
    secret
}
