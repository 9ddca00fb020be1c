//! A request's handle: the secret the requesting browser keeps to type the code, and the key
//! its row is found by (the only form the database keeps).
//!
//! The handle is its time of issue (milliseconds, 12 lowercase hex digits), a dot and 128
//! random bits; the key is the same time followed by the first 52 hex digits (208 bits) of
//! the whole handle's SHA-256. Why the time first: the key's unique index is written once
//! per request, on the writer's serial path, and a key that grows with time lands on that
//! index's last pages, which a batch's requests share, where a bare digest lands on a
//! random page of its own, one more page per request for the commit to write. The time is
//! no secret: its holder got the handle then. The handle's secret is its random bits, and
//! 208 bits of digest keep them out of reach of anyone who reads the key.

use std::time::SystemTime;

use crate::services::digest::{new_secret, sha256_hex};

/// Hex digits of the time, both in the handle and in the key: milliseconds until 10889.
const TIME_DIGITS: usize = 12;
/// Keys are as long as a bare SHA-256 in hex, the column's width.
const KEY_LEN: usize = 64;

/// A new handle issued at `now`, and its key.
pub(super) fn new_handle(now: SystemTime) -> (String, String) {
    let millis = now.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_millis();
    let handle = format!("{millis:0w$x}.{}", new_secret::<16>(), w = TIME_DIGITS);
    let key = handle_key(&handle);
    (handle, key)
}

/// The key of `handle` as presented, to look its row up by. A handle without the time
/// (issued before it was added, and alive for a link's max-age at most) is found by its
/// bare digest, as it was stored; the two forms cannot meet but by 208 bits of SHA-256
/// agreeing. Only a time in lowercase counts as one, so each handle has exactly one key.
pub(super) fn handle_key(handle: &str) -> String {
    let digest = sha256_hex(handle);
    match handle.split_once('.') {
        Some((time, _))
            if time.len() == TIME_DIGITS
                && time.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
        {
            format!("{time}{}", &digest[..KEY_LEN - TIME_DIGITS])
        }
        _ => digest,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn handles_are_random_and_keyed_in_the_order_of_issue() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_millis(1_765_000_000_123);
        let (a, key_a) = new_handle(now);
        let (b, key_b) = new_handle(now);
        let (c, key_c) = new_handle(now + Duration::from_millis(1));
        assert_ne!(a, b);
        assert!(a.starts_with("019af232b27b."), "{a}");
        assert!(c.starts_with("019af232b27c."), "{c}");
        assert_eq!(a.len(), TIME_DIGITS + 1 + 22);
        assert_eq!(key_a, format!("019af232b27b{}", &sha256_hex(&a)[..52]));
        assert!(key_a.len() == KEY_LEN && key_b.len() == KEY_LEN);
        assert_ne!(key_a, key_b);
        assert!(key_a < key_c && key_b < key_c, "a later handle sorts after");
        // The digest covers the random bits, not only the time.
        assert_ne!(handle_key(&format!("{}x", &a[..a.len() - 1])), key_a);
    }

    #[test]
    fn a_handle_without_the_time_is_found_by_its_bare_digest() {
        let old = new_secret::<16>();
        assert_eq!(handle_key(&old), sha256_hex(&old));
        // Not a time of 12 lowercase hex digits before the first dot: a bare digest.
        for odd in ["not-hex-time.abc", "019AF232B27B.abc", "19af232b27b.abc", "0019af232b27b.abc"]
        {
            assert_eq!(handle_key(odd), sha256_hex(odd), "{odd}");
        }
        // The digest covers everything after the time, dots included.
        let dotted = "019af232b27b.a.b";
        assert_eq!(handle_key(dotted), format!("019af232b27b{}", &sha256_hex(dotted)[..52]));
    }
}
