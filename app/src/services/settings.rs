//! The settings features share: the site's origin and the sign-in and session rules.

use std::time::Duration;

/// Sign-in rules that are settings.
#[derive(Clone, Debug)]
pub struct SignInSettings {
    /// The public origin links are built from, e.g. `https://latchkey.example.com`.
    pub base_url: String,
    /// Cookies get `Secure` when the base URL is https.
    pub secure_cookies: bool,
    /// Sign-in emails per address per `rate_window`.
    pub per_email: u32,
    /// Sign-in requests per client IP per `rate_window`.
    pub per_ip: u32,
    pub rate_window: Duration,
    /// Sessions end after this long without a request…
    pub session_idle: Duration,
    /// …and this long after signing in, however active.
    pub session_absolute: Duration,
}

impl SignInSettings {
    /// A sign-in link's URL. Built from the configured origin, never a request's Host.
    pub fn link_url(&self, token: &str) -> String {
        format!("{}/signin/link?token={token}", self.base_url)
    }
}

/// Sharing rules that are settings.
#[derive(Clone, Debug)]
pub struct ShareSettings {
    /// Shares an owner may create per 24 hours (emailed or copied), so that share emails
    /// cannot be used to send spam.
    pub per_day: u32,
}
