//! Secrets a browser holds (a browser's id, a code email's link key, a session's id, the
//! random part of a sign-in handle): made here, and what the database keeps of them, their
//! SHA-256 in lowercase hex, so a leaked table cannot be replayed. (A sign-in handle's key
//! puts the time first: see `sign_in::handles`.)

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

pub(crate) fn sha256_hex(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// `BYTES` random bytes, in URL-safe base64 without padding.
pub(crate) fn new_secret<const BYTES: usize>() -> String {
    let mut bytes = [0; BYTES];
    getrandom::fill(&mut bytes).expect("the OS random number generator failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `text` has the shape of a [`new_secret`] of `BYTES` bytes (its length and
/// alphabet): anything else is refused before any lookup.
pub(crate) fn is_secret<const BYTES: usize>(text: &str) -> bool {
    text.len() == (BYTES * 4).div_ceil(3)
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_the_shape_they_are_checked_for() {
        let (short, long) = (new_secret::<16>(), new_secret::<32>());
        assert_eq!((short.len(), long.len()), (22, 43));
        assert!(is_secret::<16>(&short) && is_secret::<32>(&long));
        assert_ne!(short, new_secret::<16>());
        for bad in ["", &long, &format!("{}=", &short[..21]), &format!("{}.", &short[..21])] {
            assert!(!is_secret::<16>(bad), "{bad:?}");
        }
    }
}
