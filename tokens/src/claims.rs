//! What a verified token says, and the revocation material it was bound to.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::format::Nonce;

/// Whom a token speaks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// An existing account.
    User(u64),
    /// A pending sign-in for an address that has no account yet; the request row holds the
    /// address, and the account is created when the token is redeemed.
    SignInRequest(u64),
}

/// The subject's current revocation material. It is covered by the MAC but never stored in
/// the token, so changing any part of it invalidates every outstanding token of the subject
/// without a lookup table of revoked tokens.
///
/// `epoch` is bumped by "sign out everywhere", deactivation and email changes; the email is
/// included as well so that an address handed to someone else never inherits old links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Revocation<'a> {
    pub epoch: u64,
    pub email: &'a str,
}

/// The verified content of a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub(crate) purpose: &'static str,
    pub(crate) subject: Subject,
    pub(crate) resource: Option<u64>,
    pub(crate) issued_at: u64,
    pub(crate) expires_at: Option<u64>,
}

impl Claims {
    pub fn purpose(&self) -> &'static str {
        self.purpose
    }

    pub fn subject(&self) -> Subject {
        self.subject
    }

    pub fn resource(&self) -> Option<u64> {
        self.resource
    }

    pub fn issued_at(&self) -> SystemTime {
        from_unix(self.issued_at)
    }

    /// The first instant at which the token no longer verifies; `None` if it never expires.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at.map(from_unix)
    }
}

/// The outcome of a successful verification.
#[derive(Debug)]
#[must_use = "a single-use token is not spent until it is redeemed"]
pub enum Verified {
    /// A token of a reusable purpose: its claims can be acted on.
    Reusable(Claims),
    /// A token of a single-use purpose: genuine, but it must be redeemed (feature `store`)
    /// before it is acted on.
    SingleUse(Unredeemed),
}

/// A genuine single-use token that has not been redeemed yet.
#[derive(Debug)]
pub struct Unredeemed {
    pub(crate) claims: Claims,
    #[cfg_attr(not(feature = "store"), allow(dead_code))]
    pub(crate) nonce: Nonce,
}

impl Unredeemed {
    /// What the token says, for showing (e.g. "Continue as …") before it is redeemed. Do not
    /// grant anything on the strength of it: another request may redeem it first.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }
}

pub(crate) fn unix_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Saturates instead of overflowing: a max-age of centuries is odd but must not panic.
fn from_unix(secs: u64) -> SystemTime {
    const FAR_FUTURE: u64 = 1 << 34; // the year 2514, representable on every platform
    UNIX_EPOCH + Duration::from_secs(secs.min(FAR_FUTURE))
}
