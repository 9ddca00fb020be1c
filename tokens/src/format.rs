//! The binary layout of a token, before base64.
//!
//! ```text
//! version u8 | flags u8 | key id u32 BE | subject varint | [resource varint]
//!            | issued-at varint (Unix seconds) | [nonce 16 bytes] | tag 16 bytes
//! ```
//!
//! Integers are LEB128 varints so that typical ids and times stay short; only canonical
//! encodings are accepted, so one set of claims has exactly one encoding. Parsing is total:
//! every input yields `Some` or `None`, bounded by [`MAX_RAW_LEN`], with no panics.

use crate::{KeyId, Subject};

pub(crate) const VERSION: u8 = 1;
pub(crate) const NONCE_LEN: usize = 16;
/// 128 bits: forging needs about 2^128 online guesses, far beyond any rate limit.
pub(crate) const TAG_LEN: usize = 16;

const FLAG_RESOURCE: u8 = 0b001;
const FLAG_NONCE: u8 = 0b010;
const FLAG_SIGN_IN_REQUEST: u8 = 0b100;
const KNOWN_FLAGS: u8 = FLAG_RESOURCE | FLAG_NONCE | FLAG_SIGN_IN_REQUEST;

const MAX_VARINT_LEN: usize = 10;
/// The longest well-formed token: lets verification refuse longer input before decoding it.
pub(crate) const MAX_RAW_LEN: usize = 1 + 1 + 4 + 3 * MAX_VARINT_LEN + NONCE_LEN + TAG_LEN;
pub(crate) const MAX_ENCODED_LEN: usize = (MAX_RAW_LEN * 4).div_ceil(3);

pub(crate) type Nonce = [u8; NONCE_LEN];

/// Everything in a token but its tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Body {
    pub key_id: KeyId,
    pub subject: Subject,
    pub resource: Option<u64>,
    pub issued_at: u64,
    pub nonce: Option<Nonce>,
}

impl Body {
    /// Appends the signed bytes (everything but the tag) to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        let (subject_flag, subject) = match self.subject {
            Subject::User(id) => (0, id),
            Subject::SignInRequest(id) => (FLAG_SIGN_IN_REQUEST, id),
        };
        let flags = subject_flag
            | if self.resource.is_some() { FLAG_RESOURCE } else { 0 }
            | if self.nonce.is_some() { FLAG_NONCE } else { 0 };
        out.extend_from_slice(&[VERSION, flags]);
        out.extend_from_slice(&self.key_id.0.to_be_bytes());
        write_varint(out, subject);
        if let Some(resource) = self.resource {
            write_varint(out, resource);
        }
        write_varint(out, self.issued_at);
        if let Some(nonce) = &self.nonce {
            out.extend_from_slice(nonce);
        }
    }

    /// Splits raw token bytes into the body, the signed bytes and the tag.
    pub fn parse(raw: &[u8]) -> Option<(Self, &[u8], &[u8])> {
        let (signed, tag) = raw.split_at_checked(raw.len().checked_sub(TAG_LEN)?)?;
        let mut r = Reader(signed);
        let [version, flags] = r.take::<2>()?;
        if version != VERSION || flags & !KNOWN_FLAGS != 0 {
            return None;
        }
        let key_id = KeyId(u32::from_be_bytes(r.take::<4>()?));
        let subject = r.varint()?;
        let subject = if flags & FLAG_SIGN_IN_REQUEST != 0 {
            Subject::SignInRequest(subject)
        } else {
            Subject::User(subject)
        };
        let resource = if flags & FLAG_RESOURCE != 0 { Some(r.varint()?) } else { None };
        let issued_at = r.varint()?;
        let nonce = if flags & FLAG_NONCE != 0 { Some(r.take::<NONCE_LEN>()?) } else { None };
        if !r.0.is_empty() {
            return None;
        }
        Some((Self { key_id, subject, resource, issued_at, nonce }, signed, tag))
    }
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut value: u64 = 0;
        for i in 0..MAX_VARINT_LEN {
            let [byte] = self.take::<1>()?;
            let bits = u64::from(byte & 0x7f);
            // The tenth byte may carry only the top bit of a u64.
            if i == MAX_VARINT_LEN - 1 && bits > 1 {
                return None;
            }
            value |= bits << (7 * i);
            if byte & 0x80 == 0 {
                // A trailing zero group is a second encoding of a shorter number.
                return (i == 0 || bits != 0).then_some(value);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint_round_trip(value: u64) -> Option<u64> {
        let mut out = Vec::new();
        write_varint(&mut out, value);
        let mut r = Reader(&out);
        let parsed = r.varint();
        assert!(r.0.is_empty());
        parsed
    }

    #[test]
    fn varints_round_trip_at_the_edges() {
        for value in [0, 1, 127, 128, 16_383, 16_384, u64::from(u32::MAX), u64::MAX - 1, u64::MAX] {
            assert_eq!(varint_round_trip(value), Some(value));
        }
    }

    #[test]
    fn non_canonical_and_overlong_varints_are_refused() {
        assert_eq!(Reader(&[0x80, 0x00]).varint(), None);
        assert_eq!(Reader(&[0xff; 11]).varint(), None);
        let mut too_big = [0xff; 10];
        too_big[9] = 0x02;
        assert_eq!(Reader(&too_big).varint(), None);
    }

    #[test]
    fn the_longest_body_fits_the_bound() {
        let body = Body {
            key_id: KeyId(u32::MAX),
            subject: Subject::SignInRequest(u64::MAX),
            resource: Some(u64::MAX),
            issued_at: u64::MAX,
            nonce: Some([0xff; NONCE_LEN]),
        };
        let mut out = Vec::new();
        body.write(&mut out);
        assert_eq!(out.len() + TAG_LEN, MAX_RAW_LEN);
        out.extend_from_slice(&[0; TAG_LEN]);
        assert_eq!(Body::parse(&out).map(|(b, _, _)| b), Some(body));
    }
}
