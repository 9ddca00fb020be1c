//! What a token is for, and the rules that come with it.

use std::time::Duration;

/// A token's purpose (its scope): a name, a max-age, single-use on or off, and whether
/// redeeming it signs someone in.
///
/// The name is bound into the MAC through a per-purpose key (see [`crate::KeyRing`]), so a
/// token minted for one purpose never verifies for another, even though the purpose is not
/// written in the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purpose {
    name: &'static str,
    max_age: Option<Duration>,
    single_use: bool,
    signs_in: bool,
}

/// Why a purpose's rules were refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PurposeError {
    /// Single-use rows can only be purged once the token has expired; without a max-age the
    /// table of redeemed tokens would grow for ever.
    SingleUseNeedsMaxAge(&'static str),
    /// The MAC covers whole seconds; anything shorter would expire on issue, and a
    /// fraction would be silently dropped.
    MaxAgeNotWholeSeconds(&'static str),
    /// Above [`MAX_SINGLE_USE_AGE`]: redeemed rows are kept for that long, so a longer
    /// max-age would let a token outlive its row and be redeemed twice.
    SingleUseMaxAgeTooLong(&'static str),
    /// Names are stored with redeemed tokens, in a 32-character column.
    NameTooLong(&'static str),
}

impl std::fmt::Display for PurposeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SingleUseNeedsMaxAge(name) => {
                write!(f, "purpose `{name}` is single-use and so needs a finite max-age")
            }
            Self::MaxAgeNotWholeSeconds(name) => {
                write!(f, "purpose `{name}` needs a max-age of whole seconds, at least one")
            }
            Self::SingleUseMaxAgeTooLong(name) => write!(
                f,
                "purpose `{name}` is single-use, so its max-age can be at most {} hours",
                MAX_SINGLE_USE_AGE.as_secs() / 3600
            ),
            Self::NameTooLong(name) => {
                write!(f, "purpose `{name}` has a name longer than {MAX_NAME_LEN} bytes")
            }
        }
    }
}

impl std::error::Error for PurposeError {}

impl Purpose {
    /// Defines a purpose. Checked at compile time when used in a `const`.
    ///
    /// # Panics
    /// When the rules are inconsistent (see [`PurposeError`]); use [`Purpose::with_max_age`]
    /// for values that come from configuration.
    pub const fn new(
        name: &'static str,
        max_age: Option<Duration>,
        single_use: bool,
        signs_in: bool,
    ) -> Self {
        match Self::check(name, max_age, single_use) {
            Ok(()) => Self { name, max_age, single_use, signs_in },
            Err(_) => panic!("inconsistent purpose rules (see PurposeError)"),
        }
    }

    const fn check(
        name: &'static str,
        max_age: Option<Duration>,
        single_use: bool,
    ) -> Result<(), PurposeError> {
        if name.len() > MAX_NAME_LEN {
            return Err(PurposeError::NameTooLong(name));
        }
        match max_age {
            None if single_use => Err(PurposeError::SingleUseNeedsMaxAge(name)),
            Some(age) if age.as_secs() == 0 || age.subsec_nanos() != 0 => {
                Err(PurposeError::MaxAgeNotWholeSeconds(name))
            }
            Some(age) if single_use && age.as_secs() > MAX_SINGLE_USE_AGE.as_secs() => {
                Err(PurposeError::SingleUseMaxAgeTooLong(name))
            }
            _ => Ok(()),
        }
    }

    /// The same purpose with another max-age, as configured by the operator.
    pub fn with_max_age(self, max_age: Option<Duration>) -> Result<Self, PurposeError> {
        Self::check(self.name, max_age, self.single_use)?;
        Ok(Self { max_age, ..self })
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// How long a token stays valid after it was issued; `None` means until revoked.
    pub fn max_age(&self) -> Option<Duration> {
        self.max_age
    }

    /// Whether a token may be redeemed only once (tracked by the `store` feature).
    pub fn single_use(&self) -> bool {
        self.single_use
    }

    /// Whether redeeming a token of this purpose starts a session for its subject.
    pub fn signs_in(&self) -> bool {
        self.signs_in
    }
}

/// The longest max-age a single-use purpose may have. Redeemed rows are kept until
/// `issued_at + MAX_SINGLE_USE_AGE + grace` whatever the configured max-age, so raising a
/// max-age in settings (or running instances with different ones) can never make a spent
/// token redeemable again.
pub const MAX_SINGLE_USE_AGE: Duration = Duration::from_secs(DAY);

/// Purpose names are stored with redeemed tokens.
pub const MAX_NAME_LEN: usize = 32;

const MINUTE: u64 = 60;
const DAY: u64 = 24 * 60 * MINUTE;

/// The emailed sign-in link: short-lived because mailboxes leak. It is bound to its sign-in
/// request, a row consumed once whether by the link or by its code, so it is spent by that
/// row rather than by a nonce: a second record of the same fact would cost every sign-in
/// one more write. The application must give it a finite max-age (links get forwarded).
pub const LOGIN: Purpose =
    Purpose::new("login", Some(Duration::from_secs(15 * MINUTE)), false, true);

/// A link to one report, mailed to its owner. It does not sign in: emails get forwarded,
/// and the reader should see that report and nothing else.
pub const REPORT: Purpose =
    Purpose::new("report", Some(Duration::from_secs(3 * DAY)), false, false);

/// A guest's read-only link to one share. Its lifetime and revocation live on the share
/// row, which the owner controls, so the token itself does not expire.
pub const SHARE: Purpose = Purpose::new("share", None, false, false);

/// The bookmarkable personal URL. Long-lived by request of its owner; rotated by changing
/// the resource it is bound to.
pub const BOOKMARK: Purpose = Purpose::new("bookmark", None, false, true);

/// A bearer token for the JSON API, bound to one API key row that can be deleted.
pub const API: Purpose = Purpose::new("api", None, false, false);

/// A WebSocket ticket: fetched by an authenticated page and spent within a minute.
pub const WS: Purpose = Purpose::new("ws", Some(Duration::from_secs(MINUTE)), true, false);

/// The confirmation link mailed to a new address. It changes the account's email, so it is
/// short-lived; it is spent by its row (confirmed once), and the change it makes alters the
/// revocation material it was signed under, which kills it as well.
pub const EMAIL_CHANGE: Purpose =
    Purpose::new("email_change", Some(Duration::from_secs(DAY)), false, false);

/// "This wasn't me", mailed to the old address when a change is asked for. Signed under
/// its change row, not the account: it must outlive the change it undoes.
pub const EMAIL_UNDO: Purpose =
    Purpose::new("email_undo", Some(Duration::from_secs(7 * DAY)), false, false);

/// Every purpose Latchkey defines, with its default rules.
pub const ALL: [Purpose; 8] = [LOGIN, REPORT, SHARE, BOOKMARK, API, WS, EMAIL_CHANGE, EMAIL_UNDO];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_use_needs_a_max_age() {
        assert_eq!(WS.with_max_age(None), Err(PurposeError::SingleUseNeedsMaxAge("ws")));
        assert_eq!(
            WS.with_max_age(Some(Duration::from_millis(10))),
            Err(PurposeError::MaxAgeNotWholeSeconds("ws"))
        );
        assert_eq!(
            REPORT.with_max_age(Some(Duration::from_millis(1500))),
            Err(PurposeError::MaxAgeNotWholeSeconds("report"))
        );
        assert_eq!(
            WS.with_max_age(Some(MAX_SINGLE_USE_AGE + Duration::from_secs(1))),
            Err(PurposeError::SingleUseMaxAgeTooLong("ws"))
        );
        assert!(WS.with_max_age(Some(MAX_SINGLE_USE_AGE)).is_ok());
        assert!(REPORT.with_max_age(Some(MAX_SINGLE_USE_AGE * 365)).is_ok());
        assert!(REPORT.with_max_age(None).is_ok());
    }

    #[test]
    fn names_fit_their_column() {
        let long = "a-purpose-name-of-thirty-three-ch";
        assert_eq!(long.len(), 33);
        let purpose = Purpose { name: long, max_age: None, single_use: false, signs_in: false };
        assert_eq!(purpose.with_max_age(None), Err(PurposeError::NameTooLong(long)));
    }

    #[test]
    fn names_are_distinct() {
        let mut names: Vec<_> = ALL.iter().map(Purpose::name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }
}
