//! Verification must be total: no input, as text or as decoded bytes, may panic.
#![no_main]

use std::sync::LazyLock;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use tokens::{KeyRing, Revocation, Scope, Secret, purpose};

/// The secret `examples/fuzz_seeds.rs` signs the seeds with, so they reach the MAC and beyond.
static SCOPES: LazyLock<Vec<Scope>> = LazyLock::new(|| {
    let ring = KeyRing::new(Secret::from_bytes([0x5a; 32]).unwrap());
    purpose::ALL.into_iter().map(|p| Scope::new(&ring, p)).collect()
});

const ALICE: Revocation<'static> = Revocation { epoch: 0, email: "alice@example.com" };

fuzz_target!(|data: &[u8]| {
    let now = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    let as_text = std::str::from_utf8(data).ok().map(str::to_owned);
    let as_bytes = URL_SAFE_NO_PAD.encode(data);
    for scope in SCOPES.iter() {
        for input in as_text.iter().chain([&as_bytes]) {
            if let Ok(opened) = scope.open(input) {
                let resource = opened.resource();
                let _ = opened.verify(&ALICE, now, resource);
            }
        }
    }
});
