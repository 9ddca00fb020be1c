//! Master secrets, their ids, and the ring that holds the current one and its predecessors.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::Purpose;

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// Shorter secrets would make the MAC key weaker than the tag it produces.
pub const MIN_SECRET_LEN: usize = 32;

/// A master secret. Never printed: its `Debug` shows only the key id.
#[derive(Clone)]
pub struct Secret {
    bytes: Vec<u8>,
    id: KeyId,
}

/// Identifies which secret signed a token, so verification picks the right key without
/// trying each one (trying each would multiply the cost of every forged token).
///
/// Derived from the secret itself, so operators rotate by adding a secret, not by managing
/// ids. It is a MAC output, so it reveals nothing usable about the secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyId(pub(crate) u32);

impl KeyId {
    pub fn get(self) -> u32 {
        self.0
    }
}

/// Why a secret or ring was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyError {
    TooShort {
        len: usize,
    },
    NotBase64,
    /// Two secrets in one ring share an id: the same secret twice, or (vanishingly rarely)
    /// a 32-bit collision; either way, generate another secret.
    DuplicateKeyId(KeyId),
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooShort { len } => {
                write!(f, "a secret needs at least {MIN_SECRET_LEN} bytes, this one has {len}")
            }
            Self::NotBase64 => f.write_str("a secret must be URL-safe base64 without padding"),
            Self::DuplicateKeyId(id) => {
                write!(f, "two secrets share key id {:08x}; use distinct secrets", id.0)
            }
        }
    }
}

impl std::error::Error for KeyError {}

impl Secret {
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Result<Self, KeyError> {
        let bytes = bytes.into();
        if bytes.len() < MIN_SECRET_LEN {
            return Err(KeyError::TooShort { len: bytes.len() });
        }
        let id = derive(&bytes, b"latchkey key id v1");
        let id = KeyId(u32::from_be_bytes([id[0], id[1], id[2], id[3]]));
        Ok(Self { bytes, id })
    }

    /// Parses the form written by [`Secret::to_base64`] (surrounding whitespace ignored, so a
    /// file with a trailing newline works).
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| KeyError::NotBase64)?;
        Self::from_bytes(bytes)
    }

    /// 32 bytes from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = vec![0; MIN_SECRET_LEN];
        // No entropy means no safe secret: stopping is the only correct answer.
        getrandom::fill(&mut bytes).expect("the OS random number generator failed");
        Self::from_bytes(bytes).expect("generated secrets have the minimum length")
    }

    pub fn to_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.bytes)
    }

    pub fn id(&self) -> KeyId {
        self.id
    }

    /// One key per purpose, so a tag computed for one purpose is meaningless for another.
    /// The rules that grant something (single use, signing in) are in the label too: a
    /// second purpose reusing a name with laxer rules gets another key, not the same one.
    /// The max-age is not, so operators can tune it without invalidating links.
    pub(crate) fn purpose_mac(&self, purpose: &Purpose) -> HmacSha256 {
        let mut label = b"latchkey token key v1\0".to_vec();
        label.extend_from_slice(purpose.name().as_bytes());
        label.push(0);
        label.push(u8::from(purpose.single_use()) | u8::from(purpose.signs_in()) << 1);
        let key = derive(&self.bytes, &label);
        HmacSha256::new_from_slice(&key).expect("HMAC takes keys of any length")
    }
}

/// A pseudo-random function keyed by the current secret under a label of its own: for
/// values that must be the same each time they are derived (a retried email's code), yet
/// unpredictable without the secret. Its key is never a token key: those labels differ.
#[derive(Clone)]
pub struct Prf(HmacSha256);

impl Prf {
    pub fn new(ring: &KeyRing, label: &str) -> Self {
        let mut full = b"latchkey derived key v1\0".to_vec();
        full.extend_from_slice(label.as_bytes());
        let key = derive(&ring.current().bytes, &full);
        Self(HmacSha256::new_from_slice(&key).expect("HMAC takes keys of any length"))
    }

    pub fn eval(&self, input: &[u8]) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(input);
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for Prf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prf(redacted)")
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({:08x}, redacted)", self.id.0)
    }
}

/// HMAC-SHA256 as a PRF over a fixed, distinct label per use: the master secret is already
/// uniformly random, so no extraction step is needed.
fn derive(secret: &[u8], label: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

/// The current signing secret and any number of previous ones that still verify.
///
/// Rotation: put the new secret first and keep the old one as previous until the longest
/// max-age you care about has passed; then drop it, and its tokens stop verifying. Tokens
/// without a max-age (shares, bookmarks, API keys) stop verifying too: re-issue them, or
/// keep the old secret for as long as they must live.
#[derive(Clone, Debug)]
pub struct KeyRing {
    /// `keys[0]` signs; all verify.
    keys: Vec<Secret>,
}

impl KeyRing {
    pub fn new(current: Secret) -> Self {
        Self { keys: vec![current] }
    }

    pub fn with_previous(mut self, previous: Secret) -> Result<Self, KeyError> {
        if self.keys.iter().any(|k| k.id == previous.id) {
            return Err(KeyError::DuplicateKeyId(previous.id));
        }
        self.keys.push(previous);
        Ok(self)
    }

    pub fn current(&self) -> &Secret {
        &self.keys[0]
    }

    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        self.keys.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prf_is_deterministic_per_secret_and_label() {
        let ring = KeyRing::new(Secret::generate());
        let codes = Prf::new(&ring, "sign-in code");
        assert_eq!(codes.eval(b"1"), Prf::new(&ring, "sign-in code").eval(b"1"));
        assert_ne!(codes.eval(b"1"), codes.eval(b"2"));
        assert_ne!(codes.eval(b"1"), Prf::new(&ring, "other").eval(b"1"));
        let other_ring = KeyRing::new(Secret::generate());
        assert_ne!(codes.eval(b"1"), Prf::new(&other_ring, "sign-in code").eval(b"1"));
        assert_eq!(format!("{codes:?}"), "Prf(redacted)");
    }

    #[test]
    fn short_secrets_are_refused() {
        assert_eq!(Secret::from_bytes([7; 31]).unwrap_err(), KeyError::TooShort { len: 31 });
        assert_eq!(Secret::from_base64("not base64!").unwrap_err(), KeyError::NotBase64);
    }

    #[test]
    fn base64_round_trip_keeps_the_id() {
        let secret = Secret::generate();
        let again = Secret::from_base64(&format!("{}\n", secret.to_base64())).unwrap();
        assert_eq!(secret.id(), again.id());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = Secret::from_bytes([0xab; 32]).unwrap();
        let shown = format!("{secret:?} {:?}", KeyRing::new(secret.clone()));
        assert!(!shown.contains(&secret.to_base64()));
        assert!(!shown.contains("171, 171"), "{shown}");
    }

    #[test]
    fn a_secret_cannot_be_in_a_ring_twice() {
        let secret = Secret::generate();
        let ring = KeyRing::new(secret.clone());
        assert_eq!(
            ring.with_previous(secret.clone()).unwrap_err(),
            KeyError::DuplicateKeyId(secret.id())
        );
    }
}
