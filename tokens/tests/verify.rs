//! Verification: every rule of the token format, each shown by a test that can fail.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use tokens::{
    CLOCK_SKEW_SECS, KeyRing, Purpose, Rejection, Revocation, Scope, Secret, Subject, Verified,
    purpose,
};

const ALICE: Revocation<'static> = Revocation { epoch: 3, email: "alice@example.com" };

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

const T0: u64 = 1_795_000_000;

fn ring() -> KeyRing {
    KeyRing::new(Secret::from_bytes([0x5a; 32]).unwrap())
}

/// Opens and verifies in one go, as a caller with the subject already loaded would.
fn check(
    scope: &Scope,
    token: &str,
    rev: &Revocation<'_>,
    now: u64,
    resource: Option<u64>,
) -> Result<Verified, Rejection> {
    scope.open(token)?.verify(rev, at(now), resource)
}

fn mint(scope: &Scope, subject: Subject, resource: Option<u64>) -> String {
    scope.mint(subject, resource, &ALICE, at(T0))
}

#[test]
fn every_purpose_round_trips() {
    let ring = ring();
    for purpose in purpose::ALL {
        let scope = Scope::new(&ring, purpose.clone());
        for (subject, resource) in
            [(Subject::User(1), None), (Subject::SignInRequest(u64::MAX), Some(9))]
        {
            let token = mint(&scope, subject, resource);
            let verified = check(&scope, &token, &ALICE, T0, resource)
                .unwrap_or_else(|r| panic!("{} rejected its own token: {r}", purpose.name()));
            let claims = match &verified {
                Verified::Reusable(claims) => claims,
                Verified::SingleUse(unredeemed) => unredeemed.claims(),
            };
            assert_eq!(
                (claims.purpose(), claims.subject(), claims.resource()),
                (purpose.name(), subject, resource)
            );
            assert_eq!(claims.issued_at(), at(T0));
            assert_eq!(claims.expires_at(), purpose.max_age().map(|age| at(T0) + age));
            assert_eq!(matches!(verified, Verified::SingleUse(_)), purpose.single_use());
        }
    }
}

#[test]
fn tokens_are_url_safe_and_short() {
    let ring = ring();
    let ws = Scope::new(&ring, purpose::WS);
    let token = mint(&ws, Subject::User(12_345), None);
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{token}");
    assert!(token.len() <= 64, "{} chars: {token}", token.len());
    // Two single-use tokens for the same user at the same second still differ (nonce).
    assert_ne!(token, mint(&ws, Subject::User(12_345), None));
}

#[test]
fn a_token_never_verifies_for_another_purpose() {
    let ring = ring();
    for minted_for in purpose::ALL {
        let minter = Scope::new(&ring, minted_for.clone());
        let token = mint(&minter, Subject::User(7), Some(1));
        for other in purpose::ALL.into_iter().filter(|p| p != &minted_for) {
            let verifier = Scope::new(&ring, other.clone());
            let rejection = check(&verifier, &token, &ALICE, T0, Some(1)).unwrap_err();
            // Same layout → bad signature; different layout (nonce or not) → malformed.
            assert!(
                matches!(rejection, Rejection::BadSignature | Rejection::Malformed),
                "{} token checked as {}: {rejection:?}",
                minted_for.name(),
                other.name()
            );
        }
    }
}

#[test]
fn a_purpose_with_another_max_age_keeps_its_key() {
    // Operators tune max-ages in settings; that must not invalidate outstanding links.
    let ring = ring();
    let token = mint(&Scope::new(&ring, purpose::LOGIN), Subject::User(7), None);
    let longer = purpose::LOGIN.with_max_age(Some(Duration::from_secs(3600))).unwrap();
    assert!(check(&Scope::new(&ring, longer), &token, &ALICE, T0 + 1800, None).is_ok());
    // Yet a purpose of another name, even with identical rules, is another key.
    let lookalike = Purpose::new("login2", Some(Duration::from_secs(900)), false, true);
    assert_eq!(
        check(&Scope::new(&ring, lookalike), &token, &ALICE, T0, None).unwrap_err(),
        Rejection::BadSignature
    );
}

#[test]
fn a_token_never_verifies_for_another_resource() {
    let ring = ring();
    let reports = Scope::new(&ring, purpose::REPORT);
    let token = mint(&reports, Subject::User(7), Some(42));
    assert!(check(&reports, &token, &ALICE, T0, Some(42)).is_ok());
    assert_eq!(
        check(&reports, &token, &ALICE, T0, Some(43)).unwrap_err(),
        Rejection::WrongResource
    );
    assert_eq!(check(&reports, &token, &ALICE, T0, None).unwrap_err(), Rejection::WrongResource);
    let unbound = mint(&reports, Subject::User(7), None);
    assert_eq!(
        check(&reports, &unbound, &ALICE, T0, Some(42)).unwrap_err(),
        Rejection::WrongResource
    );
}

#[test]
fn a_user_token_is_not_a_sign_in_request_token() {
    let ring = ring();
    let login = Scope::new(&ring, purpose::LOGIN);
    let token = mint(&login, Subject::User(7), None);
    let opened = login.open(&token).unwrap();
    assert_eq!(opened.subject(), Subject::User(7));
    let request = mint(&login, Subject::SignInRequest(7), None);
    assert_eq!(login.open(&request).unwrap().subject(), Subject::SignInRequest(7));
}

#[test]
fn expiry_is_half_open_at_the_max_age() {
    let ring = ring();
    let login = Scope::new(&ring, purpose::LOGIN);
    let max_age = purpose::LOGIN.max_age().unwrap().as_secs();
    let token = mint(&login, Subject::User(7), None);
    assert!(check(&login, &token, &ALICE, T0, None).is_ok());
    assert!(
        check(&login, &token, &ALICE, T0 + max_age - 1, None).is_ok(),
        "valid for the whole max-age"
    );
    assert_eq!(check(&login, &token, &ALICE, T0 + max_age, None).unwrap_err(), Rejection::Expired);
    assert_eq!(check(&login, &token, &ALICE, 1 << 40, None).unwrap_err(), Rejection::Expired);
}

#[test]
fn tokens_without_max_age_do_not_expire() {
    let ring = ring();
    let bookmarks = Scope::new(&ring, purpose::BOOKMARK);
    let token = mint(&bookmarks, Subject::User(7), Some(1));
    assert!(check(&bookmarks, &token, &ALICE, T0 + 50 * 365 * 86_400, Some(1)).is_ok());
}

#[test]
fn clock_skew_is_tolerated_up_to_its_bound() {
    let ring = ring();
    let reports = Scope::new(&ring, purpose::REPORT);
    let token = mint(&reports, Subject::User(7), Some(1));
    assert!(check(&reports, &token, &ALICE, T0 - CLOCK_SKEW_SECS, Some(1)).is_ok());
    assert_eq!(
        check(&reports, &token, &ALICE, T0 - CLOCK_SKEW_SECS - 1, Some(1)).unwrap_err(),
        Rejection::IssuedInFuture
    );
}

#[test]
fn changing_revocation_material_rejects_outstanding_tokens() {
    let ring = ring();
    for purpose in purpose::ALL {
        let scope = Scope::new(&ring, purpose);
        let token = mint(&scope, Subject::User(7), None);
        let bumped = Revocation { epoch: ALICE.epoch + 1, ..ALICE };
        let moved = Revocation { email: "alice@example.org", ..ALICE };
        let case = Revocation { email: "Alice@example.com", ..ALICE };
        for revocation in [bumped, moved, case] {
            assert_eq!(
                check(&scope, &token, &revocation, T0, None).unwrap_err(),
                Rejection::BadSignature
            );
        }
        assert!(check(&scope, &token, &ALICE, T0, None).is_ok());
    }
}

#[test]
fn previous_keys_verify_until_removed_from_the_ring() {
    let old = Secret::generate();
    let new = Secret::generate();
    let before = KeyRing::new(old.clone());
    let rotated = KeyRing::new(new.clone()).with_previous(old.clone()).unwrap();
    let retired = KeyRing::new(new);

    let token = mint(&Scope::new(&before, purpose::REPORT), Subject::User(7), None);
    assert!(check(&Scope::new(&rotated, purpose::REPORT), &token, &ALICE, T0, None).is_ok());
    assert_eq!(
        check(&Scope::new(&retired, purpose::REPORT), &token, &ALICE, T0, None).unwrap_err(),
        Rejection::UnknownKey
    );

    // New tokens are signed by the new current key: they fail on the old ring.
    let fresh = mint(&Scope::new(&rotated, purpose::REPORT), Subject::User(7), None);
    assert_eq!(
        check(&Scope::new(&before, purpose::REPORT), &fresh, &ALICE, T0, None).unwrap_err(),
        Rejection::UnknownKey
    );
}

/// The rotation the README describes for several instances: first the new secret is added
/// as a previous one everywhere, then promoted everywhere. Instances updated at different
/// times still accept each other's tokens at every step, which a direct swap does not.
#[test]
fn a_staged_rotation_has_no_window_between_instances() {
    let old = Secret::generate();
    let new = Secret::generate();
    let start = KeyRing::new(old.clone());
    let staged = KeyRing::new(old.clone()).with_previous(new.clone()).unwrap();
    let promoted = KeyRing::new(new.clone()).with_previous(old.clone()).unwrap();
    // Each step is rolled out one instance at a time, so its rings meet the step before's.
    for (earlier, later) in [(&start, &staged), (&staged, &promoted)] {
        for (minter, checker) in [(earlier, later), (later, earlier)] {
            let token = mint(&Scope::new(minter, purpose::REPORT), Subject::User(7), None);
            let checked = check(&Scope::new(checker, purpose::REPORT), &token, &ALICE, T0, None);
            assert!(checked.is_ok(), "{checked:?}");
        }
    }
    // A staged secret signs nothing yet.
    let token = mint(&Scope::new(&staged, purpose::REPORT), Subject::User(7), None);
    assert!(check(&Scope::new(&start, purpose::REPORT), &token, &ALICE, T0, None).is_ok());
}

#[test]
fn a_key_id_with_a_foreign_secret_is_a_bad_signature() {
    // An attacker who copies a real key id into a token signed with their own secret still
    // needs ours: mint with another secret, then splice in the ring's key id (bytes 2..6).
    let ring = ring();
    let ours = Scope::new(&ring, purpose::REPORT);
    let theirs =
        Scope::new(&KeyRing::new(Secret::from_bytes([0x17; 32]).unwrap()), purpose::REPORT);
    let genuine = URL_SAFE_NO_PAD.decode(mint(&ours, Subject::User(7), None)).unwrap();
    let mut forged = URL_SAFE_NO_PAD.decode(mint(&theirs, Subject::User(7), None)).unwrap();
    assert_ne!(forged[2..6], genuine[2..6]);
    forged[2..6].copy_from_slice(&genuine[2..6]);
    let forged = URL_SAFE_NO_PAD.encode(forged);
    assert_eq!(check(&ours, &forged, &ALICE, T0, None).unwrap_err(), Rejection::BadSignature);
}

#[test]
fn a_lookalike_purpose_with_laxer_rules_gets_another_key() {
    // Same name, but signing in: must not share the report key.
    let ring = ring();
    let token = mint(&Scope::new(&ring, purpose::REPORT), Subject::User(7), Some(1));
    let lookalike = Purpose::new("report", purpose::REPORT.max_age(), false, true);
    let rejection = check(&Scope::new(&ring, lookalike), &token, &ALICE, T0, Some(1)).unwrap_err();
    assert_eq!(rejection, Rejection::BadSignature);
}

#[test]
fn odd_inputs_are_malformed() {
    let ring = ring();
    let login = Scope::new(&ring, purpose::LOGIN);
    let valid = mint(&login, Subject::User(7), None);
    for input in [
        "",
        "A",
        "====",
        "é",
        "\0",
        &"A".repeat(10_000),
        &format!("{valid}="),
        &format!(" {valid}"),
    ] {
        assert_eq!(login.open(input).unwrap_err(), Rejection::Malformed, "{input:?}");
    }
}

fn arb_purpose() -> impl Strategy<Value = Purpose> {
    prop::sample::select(purpose::ALL.to_vec())
}

fn arb_subject() -> impl Strategy<Value = Subject> {
    prop_oneof![any::<u64>().prop_map(Subject::User), any::<u64>().prop_map(Subject::SignInRequest)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_single_bit_flip_is_rejected(
        purpose in arb_purpose(),
        subject in arb_subject(),
        resource in any::<Option<u64>>(),
        bit in any::<prop::sample::Index>(),
    ) {
        let scope = Scope::new(&ring(), purpose);
        let token = scope.mint(subject, resource, &ALICE, at(T0));
        prop_assert!(check(&scope, &token, &ALICE, T0, resource).is_ok());

        // In the decoded bytes…
        let mut raw = URL_SAFE_NO_PAD.decode(&token).unwrap();
        let bit = bit.index(raw.len() * 8);
        raw[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(check(&scope, &URL_SAFE_NO_PAD.encode(&raw), &ALICE, T0, resource).is_err());

        // …and in the text itself.
        let mut text = token.into_bytes();
        let bit = bit % (text.len() * 8);
        text[bit / 8] ^= 1 << (bit % 8);
        if let Ok(text) = String::from_utf8(text) {
            prop_assert!(check(&scope, &text, &ALICE, T0, resource).is_err());
        }
    }

    #[test]
    fn any_truncation_or_extension_is_rejected(
        purpose in arb_purpose(),
        subject in arb_subject(),
        resource in any::<Option<u64>>(),
        cut in any::<prop::sample::Index>(),
        extra in "[A-Za-z0-9_-]{1,40}",
    ) {
        let scope = Scope::new(&ring(), purpose);
        let token = scope.mint(subject, resource, &ALICE, at(T0));
        let truncated = &token[..cut.index(token.len())];
        prop_assert!(check(&scope, truncated, &ALICE, T0, resource).is_err());
        let extended = format!("{token}{extra}");
        prop_assert!(check(&scope, &extended, &ALICE, T0, resource).is_err());
        // Raw bytes appended or removed, re-encoded properly.
        let mut raw = URL_SAFE_NO_PAD.decode(&token).unwrap();
        raw.push(extra.as_bytes()[0]);
        prop_assert!(check(&scope, &URL_SAFE_NO_PAD.encode(&raw), &ALICE, T0, resource).is_err());
        raw.truncate(raw.len() - 2);
        prop_assert!(check(&scope, &URL_SAFE_NO_PAD.encode(&raw), &ALICE, T0, resource).is_err());
    }

    #[test]
    fn verification_is_total_on_arbitrary_text(input in ".{0,200}", purpose in arb_purpose()) {
        let scope = Scope::new(&ring(), purpose);
        if let Ok(opened) = scope.open(&input) {
            let _ = opened.verify(&ALICE, at(T0), None);
        }
    }

    #[test]
    fn verification_is_total_on_structured_bytes(
        flags in 0u8..8,
        tail in prop::collection::vec(any::<u8>(), 0..80),
        purpose in arb_purpose(),
        now in 0u64..(1 << 40),
    ) {
        // Version 1, known flags and the ring's own key id, then anything: this reaches the
        // varint parser, the MAC and the time checks, which random bytes almost never do.
        let ring = ring();
        let scope = Scope::new(&ring, purpose);
        let mut bytes = vec![1, flags];
        bytes.extend_from_slice(&ring.current().id().get().to_be_bytes());
        bytes.extend_from_slice(&tail);
        let token = URL_SAFE_NO_PAD.encode(&bytes);
        if let Ok(opened) = scope.open(&token) {
            let _ = opened.verify(&ALICE, at(now), Some(1));
        }
    }
}
