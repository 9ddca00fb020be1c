//! What the database keeps of a secret a browser holds (a sign-in handle, a browser's id, a
//! session's id): its SHA-256, in lowercase hex, so a leaked table cannot be replayed.

use sha2::{Digest as _, Sha256};

pub(crate) fn sha256_hex(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}
