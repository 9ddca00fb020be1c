//! `cargo bench -p tokens --features store`: the cost of minting, verifying, rejecting a
//! forgery and redeeming, next to a bare HMAC-SHA256 over the same bytes as the floor.

use std::hint::black_box;
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokens::{KeyRing, Revocation, Scope, Secret, Subject, Verified, purpose, store};

const ALICE: Revocation<'static> = Revocation { epoch: 3, email: "alice@example.com" };

fn benches(c: &mut Criterion) {
    let ring = KeyRing::new(Secret::generate()).with_previous(Secret::generate()).unwrap();
    let reports = Scope::new(&ring, purpose::REPORT);
    let ws = Scope::new(&ring, purpose::WS);
    let now = SystemTime::now();
    let token = reports.mint(Subject::User(123_456), Some(42), &ALICE, now);
    let ws_token = ws.mint(Subject::User(123_456), None, &ALICE, now);

    let mut forged = URL_SAFE_NO_PAD.decode(&token).unwrap();
    *forged.last_mut().unwrap() ^= 1;
    let forged = URL_SAFE_NO_PAD.encode(forged);

    // The floor: one HMAC-SHA256 over the bytes verification authenticates.
    let mut signed = URL_SAFE_NO_PAD.decode(&token).unwrap();
    signed.truncate(signed.len() - 16);
    signed.extend_from_slice(&ALICE.epoch.to_be_bytes());
    signed.extend_from_slice(ALICE.email.as_bytes());
    let key = [7u8; 32];

    let mut group = c.benchmark_group("tokens");
    group.bench_function("hmac_sha256_bare", |b| {
        b.iter(|| {
            let mut mac = Hmac::<Sha256>::new_from_slice(black_box(&key)).unwrap();
            mac.update(black_box(&signed));
            black_box(mac.finalize().into_bytes())
        })
    });
    group.bench_function("mint_report", |b| {
        b.iter(|| reports.mint(black_box(Subject::User(123_456)), Some(42), &ALICE, now))
    });
    group.bench_function("mint_ws_with_nonce", |b| {
        b.iter(|| ws.mint(black_box(Subject::User(123_456)), None, &ALICE, now))
    });
    group.bench_function("verify_valid", |b| {
        b.iter(|| reports.open(black_box(&token)).unwrap().verify(&ALICE, now, Some(42)).unwrap())
    });
    group.bench_function("verify_valid_ws", |b| {
        b.iter(|| ws.open(black_box(&ws_token)).unwrap().verify(&ALICE, now, None).unwrap())
    });
    group.bench_function("verify_forged", |b| {
        b.iter(|| {
            reports.open(black_box(&forged)).unwrap().verify(&ALICE, now, Some(42)).unwrap_err()
        })
    });
    group.finish();

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let database = runtime.block_on(migrations::test_database::sqlite()).unwrap();
    c.bench_function("tokens/redeem_sqlite", |b| {
        b.iter_batched(
            || {
                let token = ws.mint(Subject::User(1), None, &ALICE, now);
                match ws.open(&token).unwrap().verify(&ALICE, now, None).unwrap() {
                    Verified::SingleUse(unredeemed) => unredeemed,
                    Verified::Reusable(_) => unreachable!("ws is single-use"),
                }
            },
            |unredeemed| runtime.block_on(store::redeem(&database.db, unredeemed, now)).unwrap(),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(tokens, benches);
criterion_main!(tokens);
