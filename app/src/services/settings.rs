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
    /// What a link asks for when opened in a browser other than the one that asked.
    pub other_browser: OtherBrowser,
    pub code_budgets: CodeBudgets,
}

impl SignInSettings {
    /// A sign-in link's URL. Built from the configured origin, never a request's Host.
    pub fn link_url(&self, token: &str) -> String {
        format!("{}/signin/link?token={token}", self.base_url)
    }
}

/// What a sign-in link opened in another browser than the requesting one asks for. The
/// requesting browser always signs in at once; a mail scanner is always "another browser".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtherBrowser {
    /// The 6-digit code from the same email, which no clicking scanner types.
    Code,
    /// A click on "Continue", for sites whose users' mail is not scanned.
    Confirm,
    /// Nothing works there: open the link where it was asked for, or type the code there.
    Refuse,
}

impl OtherBrowser {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "code" => Some(Self::Code),
            "confirm" => Some(Self::Confirm),
            "refuse" => Some(Self::Refuse),
            _ => None,
        }
    }
}

/// How many wrong sign-in codes, typed without their link, each budget admits in its
/// window. Each wrong code draws on all of them at once; once one is spent, such codes
/// stop working for what it covers, while links (with or without their code) still work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeBudgets {
    /// Per address, over all its requests, per `address_window`.
    pub per_address: u32,
    pub address_window: Duration,
    /// Per client network, per `network_window`: an IPv4 address and its /24…
    pub per_ipv4: u32,
    pub per_ipv4_24: u32,
    /// …an IPv6 /64 (one subscriber), /56 and /48 (one site).
    pub per_ipv6_64: u32,
    pub per_ipv6_56: u32,
    pub per_ipv6_48: u32,
    pub network_window: Duration,
    /// Site-wide, per minute: above it, codes typed without a link pause for everyone.
    pub site_per_minute: u32,
}

impl Default for CodeBudgets {
    /// The defaults the README's arithmetic is done with.
    fn default() -> Self {
        Self {
            per_address: 20,
            address_window: Duration::from_secs(24 * 3600),
            per_ipv4: 30,
            per_ipv4_24: 60,
            per_ipv6_64: 30,
            per_ipv6_56: 60,
            per_ipv6_48: 120,
            network_window: Duration::from_secs(3600),
            site_per_minute: 10,
        }
    }
}

/// Sharing rules that are settings.
#[derive(Clone, Debug)]
pub struct ShareSettings {
    /// Shares an owner may create per 24 hours (emailed or copied), so that share emails
    /// cannot be used to send spam.
    pub per_day: u32,
}
