//! The 6-digit codes of sign-in emails: generated and hashed by the mail worker, verified
//! when typed. Argon2id, so a leaked table does not hand out a million-guess lookup.

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};

use std::sync::Arc;

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::domain::SignInCode;

/// Rejection sampling below this: `u32 % 1_000_000` alone would favour low codes slightly.
const CODE_LIMIT: u32 = u32::MAX - u32::MAX % 1_000_000;

/// Argon2id with the work factors from the settings.
#[derive(Clone, Debug)]
pub struct CodeHasher {
    params: Params,
    /// At most one hash per core at a time, however many codes are typed at once: each
    /// takes the configured memory (19 MiB by default) and a core's worth of time.
    running: Arc<Semaphore>,
}

impl CodeHasher {
    /// OWASP's first recommended Argon2id configuration: 19 MiB, 2 passes, 1 lane.
    pub const OWASP_MEMORY_KIB: u32 = 19 * 1024;
    pub const OWASP_ITERATIONS: u32 = 2;
    pub const OWASP_PARALLELISM: u32 = 1;

    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self, argon2::Error> {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Ok(Self {
            params: Params::new(memory_kib, iterations, parallelism, None)?,
            running: Arc::new(Semaphore::new(cores)),
        })
    }

    pub fn owasp() -> Self {
        Self::new(Self::OWASP_MEMORY_KIB, Self::OWASP_ITERATIONS, Self::OWASP_PARALLELISM)
            .expect("OWASP's parameters are valid")
    }

    /// Waits for a turn to hash; hold the permit while hashing or verifying.
    pub async fn turn(&self) -> SemaphorePermit<'_> {
        self.running.acquire().await.expect("the semaphore is never closed")
    }

    /// The code of a sign-in request: derived from it under the site's key, so every
    /// delivery of its email (retries too) carries the same code, and a retry adds no
    /// second valid one. Unpredictable without the key; uniform by rejection sampling.
    pub fn derived(prf: &tokens::Prf, request_id: i64, handle_hash: &str) -> SignInCode {
        let mut input = request_id.to_be_bytes().to_vec();
        input.extend_from_slice(handle_hash.as_bytes());
        let mut block = 0u32;
        loop {
            let mut counted = input.clone();
            counted.extend_from_slice(&block.to_be_bytes());
            let bytes = prf.eval(&counted);
            for chunk in bytes.chunks_exact(4) {
                let n = u32::from_le_bytes(chunk.try_into().expect("4 bytes"));
                if n < CODE_LIMIT {
                    let code = format!("{:06}", n % 1_000_000);
                    return SignInCode::parse(&code).expect("six digits");
                }
            }
            block += 1;
        }
    }

    /// A uniformly random code from the OS generator.
    pub fn generate() -> SignInCode {
        loop {
            let mut bytes = [0; 4];
            getrandom::fill(&mut bytes).expect("the OS random number generator failed");
            let n = u32::from_le_bytes(bytes);
            if n < CODE_LIMIT {
                let code = format!("{:06}", n % 1_000_000);
                return SignInCode::parse(&code).expect("six digits");
            }
        }
    }

    /// The code's PHC string (algorithm, parameters, salt and hash). Slow by design: call
    /// it off the async runtime (`spawn_blocking`).
    pub fn hash(&self, code: &SignInCode) -> String {
        let mut salt = [0; 16];
        getrandom::fill(&mut salt).expect("the OS random number generator failed");
        self.argon2()
            .hash_password_with_salt(code.as_bytes(), &salt)
            .expect("a 16-byte salt and valid parameters always hash")
            .to_string()
    }

    /// Whether `code` matches `phc`, using the parameters recorded in `phc` (so hashes made
    /// before a settings change still verify). Constant-time in the comparison. Slow.
    pub fn verify(&self, code: &SignInCode, phc: &str) -> bool {
        PasswordHash::new(phc)
            .is_ok_and(|hash| self.argon2().verify_password(code.as_bytes(), &hash).is_ok())
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_code() {
        let hasher = CodeHasher::new(Params::MIN_M_COST.max(64), 1, 1).unwrap();
        let code = SignInCode::parse("012345").unwrap();
        let phc = hasher.hash(&code);
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(hasher.verify(&code, &phc));
        assert!(!hasher.verify(&SignInCode::parse("012346").unwrap(), &phc));
        assert!(!hasher.verify(&code, "not a hash"));
        // A hash made with other parameters still verifies.
        assert!(CodeHasher::owasp().verify(&code, &phc));
    }

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<_> =
            (0..50).map(|_| CodeHasher::generate().as_str().to_owned()).collect();
        assert!(codes.len() > 45);
        assert!(codes.iter().all(|c| c.len() == 6));
    }
}
