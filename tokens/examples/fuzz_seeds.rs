//! Writes the fuzzer's seed corpus: one valid token per purpose and subject kind, as text
//! and as decoded bytes, signed with the fuzz target's fixed secret.
//!
//! `cargo run -p tokens --example fuzz_seeds -- tokens/fuzz/seeds/verify`

use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tokens::{KeyRing, Revocation, Scope, Secret, Subject, purpose};

fn main() -> std::io::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "tokens/fuzz/seeds/verify".into());
    std::fs::create_dir_all(&dir)?;
    let ring = KeyRing::new(Secret::from_bytes([0x5a; 32]).expect("32 bytes"));
    let alice = Revocation { epoch: 0, email: "alice@example.com" };
    let now = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    for purpose in purpose::ALL {
        let scope = Scope::new(&ring, purpose.clone());
        for (kind, subject, resource) in
            [("user", Subject::User(7), Some(42)), ("request", Subject::SignInRequest(300), None)]
        {
            let token = scope.mint(subject, resource, &alice, now);
            let name = format!("{}-{kind}", purpose.name());
            std::fs::write(format!("{dir}/{name}.txt"), &token)?;
            let raw = URL_SAFE_NO_PAD.decode(&token).expect("minted tokens decode");
            std::fs::write(format!("{dir}/{name}.bin"), raw)?;
        }
    }
    Ok(())
}
