//! Minting and verifying the tokens of one purpose.

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;

use crate::claims::unix_secs;
use crate::format::{Body, MAX_ENCODED_LEN, MAX_RAW_LEN, NONCE_LEN, Nonce, TAG_LEN};
use crate::key_ring::HmacSha256;
use crate::{
    Claims, KeyId, KeyRing, Purpose, Rejection, Revocation, Subject, Unredeemed, Verified,
};

/// How far in the future a token's issue time may be: servers behind a load balancer do not
/// share one clock. Beyond this a genuine token is refused rather than trusted for longer.
pub const CLOCK_SKEW_SECS: u64 = 60;

/// Mints and verifies the tokens of one purpose under one key ring.
///
/// Build one per purpose at start-up and share it: construction derives the per-purpose key
/// of every secret in the ring once, so minting and verifying pay only for the MAC itself.
#[derive(Clone)]
pub struct Scope {
    purpose: Purpose,
    /// One keyed HMAC state per secret, the signing one first; cloning a keyed state skips
    /// the two key-schedule compressions on every call.
    macs: Vec<(KeyId, HmacSha256)>,
}

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<_> = self.macs.iter().map(|(id, _)| id).collect();
        f.debug_struct("Scope").field("purpose", &self.purpose).field("keys", &ids).finish()
    }
}

impl Scope {
    pub fn new(ring: &KeyRing, purpose: Purpose) -> Self {
        let macs = ring.secrets().map(|s| (s.id(), s.purpose_mac(&purpose))).collect();
        Self { purpose, macs }
    }

    pub fn purpose(&self) -> &Purpose {
        &self.purpose
    }

    /// Mints a token for `subject`, optionally bound to one `resource` (a report, a share,
    /// an API key…), under the subject's current revocation material.
    pub fn mint(
        &self,
        subject: Subject,
        resource: Option<u64>,
        revocation: &Revocation<'_>,
        now: SystemTime,
    ) -> String {
        let nonce = self.purpose.single_use().then(|| {
            let mut nonce: Nonce = [0; NONCE_LEN];
            // Without entropy, nonces could repeat and single-use would silently break.
            getrandom::fill(&mut nonce).expect("the OS random number generator failed");
            nonce
        });
        let (key_id, mac) = &self.macs[0];
        let body = Body { key_id: *key_id, subject, resource, issued_at: unix_secs(now), nonce };
        let mut raw = Vec::with_capacity(MAX_RAW_LEN);
        body.write(&mut raw);
        let tag = tag(mac, &raw, revocation);
        raw.extend_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Parses a token without trusting it yet, so the caller can look up the subject's
    /// revocation material. Total: any string returns a result, cheaply, without panicking.
    pub fn open(&self, token: &str) -> Result<Unverified<'_>, Rejection> {
        // Refuse oversized input before decoding it: verification cost must not grow with
        // whatever an attacker sends.
        if token.len() > MAX_ENCODED_LEN {
            return Err(Rejection::Malformed);
        }
        let mut raw = [0; MAX_ENCODED_LEN];
        // Strict decoding (no padding, no stray trailing bits) gives every byte string
        // exactly one spelling, so no two token strings share a tag.
        let len = URL_SAFE_NO_PAD
            .decode_slice(token.as_bytes(), &mut raw)
            .map_err(|_| Rejection::Malformed)?;
        let (body, _, _) = Body::parse(&raw[..len]).ok_or(Rejection::Malformed)?;
        if body.nonce.is_some() != self.purpose.single_use() {
            return Err(Rejection::Malformed);
        }
        let (_, mac) =
            self.macs.iter().find(|(id, _)| *id == body.key_id).ok_or(Rejection::UnknownKey)?;
        Ok(Unverified { scope: self, mac, body, raw, len })
    }
}

/// A token that parsed, whose claims are not yet trusted.
pub struct Unverified<'s> {
    scope: &'s Scope,
    mac: &'s HmacSha256,
    body: Body,
    raw: [u8; MAX_ENCODED_LEN],
    len: usize,
}

impl std::fmt::Debug for Unverified<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unverified").field("subject", &self.body.subject).finish_non_exhaustive()
    }
}

impl Unverified<'_> {
    /// The subject the token claims, to look up its revocation material. Untrusted.
    pub fn subject(&self) -> Subject {
        self.body.subject
    }

    /// The resource the token claims (e.g. which API key row to load). Untrusted.
    pub fn resource(&self) -> Option<u64> {
        self.body.resource
    }

    /// Checks the tag against the subject's current revocation material, then the token's
    /// age, then that it is bound to `resource` (the one about to be granted, or `None`).
    ///
    /// Expiry is a half-open interval: a token issued at second `t` with max-age `m` is
    /// valid while `now < t + m` and expired from `t + m` on, so a 15-minute link works for
    /// exactly 15 minutes (at one-second resolution).
    pub fn verify(
        self,
        revocation: &Revocation<'_>,
        now: SystemTime,
        resource: Option<u64>,
    ) -> Result<Verified, Rejection> {
        let (signed, tag) = self.raw[..self.len].split_at(self.len - TAG_LEN);
        let mut mac = self.mac.clone();
        feed(&mut mac, signed, revocation);
        // Constant-time comparison of the leftmost TAG_LEN bytes (via `subtle`).
        mac.verify_truncated_left(tag).map_err(|_| Rejection::BadSignature)?;

        let now = unix_secs(now);
        let body = self.body;
        if body.issued_at > now.saturating_add(CLOCK_SKEW_SECS) {
            return Err(Rejection::IssuedInFuture);
        }
        let purpose = &self.scope.purpose;
        let expires_at = purpose.max_age().map(|age| body.issued_at.saturating_add(age.as_secs()));
        if expires_at.is_some_and(|expires_at| now >= expires_at) {
            return Err(Rejection::Expired);
        }
        if body.resource != resource {
            return Err(Rejection::WrongResource);
        }
        let claims = Claims {
            purpose: purpose.name(),
            subject: body.subject,
            resource: body.resource,
            issued_at: body.issued_at,
            expires_at,
        };
        Ok(match body.nonce {
            Some(nonce) => Verified::SingleUse(Unredeemed { claims, nonce }),
            None => Verified::Reusable(claims),
        })
    }
}

fn feed(mac: &mut HmacSha256, signed: &[u8], revocation: &Revocation<'_>) {
    mac.update(signed);
    // Unambiguous without a length prefix: the body is self-delimiting, the epoch has a
    // fixed width and the email runs to the end.
    mac.update(&revocation.epoch.to_be_bytes());
    mac.update(revocation.email.as_bytes());
}

fn tag(mac: &HmacSha256, signed: &[u8], revocation: &Revocation<'_>) -> [u8; 32] {
    let mut mac = mac.clone();
    feed(&mut mac, signed, revocation);
    mac.finalize().into_bytes().into()
}
