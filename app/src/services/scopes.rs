//! Every token purpose as configured, each ready to mint and verify.
//!
//! Built once at start-up from the operator's max-ages, so no feature can fall back on a
//! default rule by accident: a purpose's rules exist in one place, this value.

use std::time::Duration;

use tokens::{KeyRing, Purpose, Scope, purpose};

/// Each purpose's rules, as configured (the defaults are `tokens::purpose`'s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purposes {
    pub login: Purpose,
    pub report: Purpose,
    pub share: Purpose,
    pub bookmark: Purpose,
    pub api: Purpose,
    pub ws: Purpose,
    pub email_change: Purpose,
    pub email_undo: Purpose,
}

impl Default for Purposes {
    fn default() -> Self {
        Self {
            login: purpose::LOGIN,
            report: purpose::REPORT,
            share: purpose::SHARE,
            bookmark: purpose::BOOKMARK,
            api: purpose::API,
            ws: purpose::WS,
            email_change: purpose::EMAIL_CHANGE,
            email_undo: purpose::EMAIL_UNDO,
        }
    }
}

/// How long an address is kept when the undo link has no max-age: for ever would close
/// every address any account ever left to everyone else.
pub const KEPT_AT_MOST: Duration = Duration::from_secs(30 * 86_400);

impl Purposes {
    /// How long an address an account left stays kept for it (see `accounts::Reserved`):
    /// as long as the undo link emailed to that address works, or [`KEPT_AT_MOST`] if that
    /// link never expires.
    pub fn address_kept_for(&self) -> Duration {
        self.email_undo.max_age().unwrap_or(KEPT_AT_MOST)
    }
}

/// `login` before sign-in links were spent by their request row (see
/// [`Scopes::login_with_nonce`]); the settings' max-age replaces this one.
const LOGIN_WITH_NONCE: Purpose =
    Purpose::new("login", Some(Duration::from_secs(15 * 60)), true, true);

/// One [`Scope`] per purpose under one key ring.
#[derive(Debug)]
pub struct Scopes {
    pub login: Scope,
    /// Verifies (never mints) sign-in links in the layout they had before they were spent
    /// by their request row: single-use in the token crate, so with a nonce and under
    /// another key. Links mailed before an upgrade, or by an instance not yet upgraded
    /// during a rolling one, keep working; they too are spent by their request row.
    pub login_with_nonce: Scope,
    pub report: Scope,
    pub share: Scope,
    pub bookmark: Scope,
    pub api: Scope,
    pub ws: Scope,
    pub email_change: Scope,
    pub email_undo: Scope,
    /// Derives each sign-in request's code, so a retried email sends the first one's.
    pub sign_in_codes: tokens::Prf,
}

impl Scopes {
    pub fn new(ring: &KeyRing, purposes: &Purposes) -> Self {
        let scope = |purpose: &Purpose| Scope::new(ring, purpose.clone());
        let with_nonce = LOGIN_WITH_NONCE.with_max_age(purposes.login.max_age());
        Self {
            login: scope(&purposes.login),
            login_with_nonce: scope(&with_nonce.unwrap_or(LOGIN_WITH_NONCE)),
            report: scope(&purposes.report),
            share: scope(&purposes.share),
            bookmark: scope(&purposes.bookmark),
            api: scope(&purposes.api),
            ws: scope(&purposes.ws),
            email_change: scope(&purposes.email_change),
            email_undo: scope(&purposes.email_undo),
            sign_in_codes: tokens::Prf::new(ring, "sign-in code"),
        }
    }

    /// See [`Purposes::address_kept_for`].
    pub fn address_kept_for(&self) -> Duration {
        self.email_undo.purpose().max_age().unwrap_or(KEPT_AT_MOST)
    }
}

#[cfg(test)]
mod tests {
    use tokens::Secret;

    use super::*;

    #[test]
    fn configured_rules_reach_their_scope() {
        let minute = Some(Duration::from_secs(60));
        let purposes = Purposes {
            report: purpose::REPORT.with_max_age(minute).unwrap(),
            login: purpose::LOGIN.with_max_age(minute).unwrap(),
            ..Purposes::default()
        };
        let scopes = Scopes::new(&KeyRing::new(Secret::generate()), &purposes);
        assert_eq!(scopes.report.purpose().max_age(), minute);
        assert_eq!(scopes.login.purpose(), &purposes.login);
        // Links in the old layout live as long as today's.
        let with_nonce = scopes.login_with_nonce.purpose();
        assert_eq!(
            (with_nonce.name(), with_nonce.single_use(), with_nonce.max_age()),
            ("login", true, minute)
        );
        assert_eq!(scopes.ws.purpose(), &purpose::WS);
    }

    #[test]
    fn an_address_is_kept_as_long_as_its_undo_link_works() {
        let week = Duration::from_secs(7 * 86_400);
        let purposes = Purposes {
            email_undo: purpose::EMAIL_UNDO.with_max_age(Some(week)).unwrap(),
            ..Purposes::default()
        };
        let scopes = Scopes::new(&KeyRing::new(Secret::generate()), &purposes);
        assert_eq!(purposes.address_kept_for(), week);
        assert_eq!(scopes.address_kept_for(), week);

        let forever = Purposes {
            email_undo: purpose::EMAIL_UNDO.with_max_age(None).unwrap(),
            ..Purposes::default()
        };
        let scopes = Scopes::new(&KeyRing::new(Secret::generate()), &forever);
        assert_eq!(forever.address_kept_for(), KEPT_AT_MOST);
        assert_eq!(scopes.address_kept_for(), KEPT_AT_MOST, "not for ever");
    }
}
