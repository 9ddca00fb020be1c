//! Latchkey's tokens: every link and bearer credential in the product.
//!
//! A token is URL-safe base64 of a small binary record (format version, key id, subject,
//! optional resource, issue time, a nonce for single-use purposes) followed by an
//! HMAC-SHA256 tag truncated to 128 bits. The tag is keyed per [`Purpose`] and also covers
//! the subject's [`Revocation`] material, which is not stored in the token.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use tokens::{KeyRing, Revocation, Scope, Secret, Subject, Verified, purpose};
//!
//! let ring = KeyRing::new(Secret::generate());
//! let reports = Scope::new(&ring, purpose::REPORT);
//! let alice = Revocation { epoch: 0, email: "alice@example.com" };
//! let now = SystemTime::now();
//!
//! let token = reports.mint(Subject::User(7), Some(42), &alice, now);
//!
//! // Verification is two steps, so the caller can load the subject in between.
//! let unverified = reports.open(&token).unwrap();
//! assert_eq!(unverified.subject(), Subject::User(7));
//! let Verified::Reusable(claims) = unverified.verify(&alice, now, Some(42)).unwrap() else {
//!     unreachable!("reports are reusable");
//! };
//! assert_eq!(claims.resource(), Some(42));
//!
//! // Another report, a later epoch or a later time: refused, with a reason for the logs.
//! let later = now + Duration::from_secs(4 * 24 * 3600);
//! assert!(reports.open(&token).unwrap().verify(&alice, now, Some(43)).is_err());
//! assert!(reports.open(&token).unwrap().verify(&alice, later, Some(42)).is_err());
//! ```

mod claims;
mod format;
mod key_ring;
pub mod purpose;
mod rejection;
mod scope;
#[cfg(feature = "store")]
pub mod store;

pub use claims::{Claims, Revocation, Subject, Unredeemed, Verified};
pub use key_ring::{KeyError, KeyId, KeyRing, MIN_SECRET_LEN, Prf, Secret};
pub use purpose::{Purpose, PurposeError};
pub use rejection::Rejection;
pub use scope::{CLOCK_SKEW_SECS, Scope, Unverified};
