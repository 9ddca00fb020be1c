//! A browser, as a named-guest share knows it: a random value the browser keeps in a
//! cookie, of which the database holds only a SHA-256 digest, so a leaked table cannot be
//! replayed as cookies.

use crate::services::digest::{self, is_secret, new_secret};

/// 256 random bits, URL-safe base64 (43 characters).
#[derive(Clone, PartialEq, Eq)]
pub struct BrowserId(String);

const BYTES: usize = 32;

impl BrowserId {
    pub fn generate() -> Self {
        Self(new_secret::<BYTES>())
    }

    /// A cookie's value, if it can be one of ours (anything else is ignored, and the
    /// browser is simply not confirmed).
    pub fn parse(raw: &str) -> Option<Self> {
        is_secret::<BYTES>(raw).then(|| Self(raw.to_owned()))
    }

    /// The value for the browser's cookie.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the database keeps.
    pub(super) fn digest(&self) -> String {
        digest::sha256_hex(&self.0)
    }
}

/// Never printed: the value is what proves the browser confirmed.
impl std::fmt::Debug for BrowserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BrowserId(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_nothing_else_does() {
        let id = BrowserId::generate();
        assert_eq!(BrowserId::parse(id.as_str()), Some(id.clone()));
        assert_ne!(id, BrowserId::generate());
        assert_eq!(id.digest().len(), 64);
        for bad in ["", "short", &"a".repeat(44), &format!("{}=", &"a".repeat(42))] {
            assert!(BrowserId::parse(bad).is_none(), "{bad:?}");
        }
    }
}
