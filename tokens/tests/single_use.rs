//! Single-use redemption (feature `store`) on SQLite, and on PostgreSQL when
//! `LATCHKEY_TEST_POSTGRES_URL` is set (always in CI).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use migrations::test_database::{self, TestDatabase};
use sea_orm::{EntityTrait, PaginatorTrait};
use tokens::purpose::MAX_SINGLE_USE_AGE;
use tokens::store::{self, PURGE_GRACE_SECS, RedeemError, redeemed_token};
use tokens::{KeyRing, Rejection, Revocation, Scope, Secret, Subject, Verified, purpose};

const ALICE: Revocation<'static> = Revocation { epoch: 0, email: "alice@example.com" };
const REDEEMERS: usize = 16;

fn ws() -> Scope {
    Scope::new(&KeyRing::new(Secret::generate()), purpose::WS)
}

fn unredeemed(scope: &Scope, token: &str, now: SystemTime) -> tokens::Unredeemed {
    match scope.open(token).unwrap().verify(&ALICE, now, None).unwrap() {
        Verified::SingleUse(unredeemed) => unredeemed,
        Verified::Reusable(_) => panic!("ws tokens are single-use"),
    }
}

/// Every redeemer verifies the same token, then all race to redeem it.
async fn exactly_one_concurrent_redeemer_wins(database: TestDatabase) {
    let scope = Arc::new(ws());
    let now = SystemTime::now();
    let token = Arc::new(scope.mint(Subject::User(1), None, &ALICE, now));
    let start = Arc::new(tokio::sync::Barrier::new(REDEEMERS));
    let tasks: Vec<_> = (0..REDEEMERS)
        .map(|_| {
            let (db, scope, token, start) =
                (database.db.clone(), scope.clone(), token.clone(), start.clone());
            tokio::spawn(async move {
                let unredeemed = unredeemed(&scope, &token, now);
                start.wait().await;
                store::redeem(&db, unredeemed, now).await
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(claims) => {
                assert_eq!(claims.subject(), Subject::User(1));
                won += 1;
            }
            Err(RedeemError::Rejected(Rejection::AlreadyUsed)) => {}
            Err(other) => panic!("unexpected redemption failure: {other}"),
        }
    }
    assert_eq!(won, 1, "exactly one of {REDEEMERS} redeemers must win");
    assert_eq!(redeemed_token::Entity::find().count(&database.db).await.unwrap(), 1);
}

async fn distinct_tokens_redeem_independently_and_purge(database: TestDatabase) {
    let scope = ws();
    let now = SystemTime::now();
    for _ in 0..3 {
        let token = scope.mint(Subject::User(1), None, &ALICE, now);
        store::redeem(&database.db, unredeemed(&scope, &token, now), now).await.unwrap();
    }
    // A second redemption of the same token, later on, is refused too.
    let token = scope.mint(Subject::User(1), None, &ALICE, now);
    store::redeem(&database.db, unredeemed(&scope, &token, now), now).await.unwrap();
    let again = store::redeem(&database.db, unredeemed(&scope, &token, now), now).await;
    assert!(matches!(again, Err(RedeemError::Rejected(Rejection::AlreadyUsed))));

    // Rows are kept for the longest single-use max-age plus the grace, not the configured
    // max-age: raising it later must not make these tokens redeemable again.
    let kept = MAX_SINGLE_USE_AGE + Duration::from_secs(PURGE_GRACE_SECS);
    let issued =
        UNIX_EPOCH + Duration::from_secs(now.duration_since(UNIX_EPOCH).unwrap().as_secs());
    assert_eq!(
        store::purge_expired(&database.db, issued + kept - Duration::from_secs(1)).await.unwrap(),
        0
    );
    assert_eq!(store::purge_expired(&database.db, issued + kept).await.unwrap(), 4);
    assert_eq!(redeemed_token::Entity::find().count(&database.db).await.unwrap(), 0);
}

/// Redemption inside the caller's transaction: a rollback un-spends the token.
async fn a_rolled_back_redemption_can_be_retried(database: TestDatabase) {
    use sea_orm::TransactionTrait as _;
    let scope = ws();
    let now = SystemTime::now();
    let token = scope.mint(Subject::User(1), None, &ALICE, now);
    let txn = database.db.begin().await.unwrap();
    store::redeem(&txn, unredeemed(&scope, &token, now), now).await.unwrap();
    txn.rollback().await.unwrap();
    let txn = database.db.begin().await.unwrap();
    store::redeem(&txn, unredeemed(&scope, &token, now), now).await.unwrap();
    txn.commit().await.unwrap();
    let again = store::redeem(&database.db, unredeemed(&scope, &token, now), now).await;
    assert!(matches!(again, Err(RedeemError::Rejected(Rejection::AlreadyUsed))));
}

async fn a_token_that_expired_after_verification_is_not_redeemed(database: TestDatabase) {
    let scope = ws();
    let now = SystemTime::now();
    let token = scope.mint(Subject::User(1), None, &ALICE, now);
    let unredeemed = unredeemed(&scope, &token, now);
    let later = now + purpose::WS.max_age().unwrap();
    let result = store::redeem(&database.db, unredeemed, later).await;
    assert!(matches!(result, Err(RedeemError::Rejected(Rejection::Expired))));
}

/// A batch answers each token as `redeem` alone would: fresh ones win, a token already
/// spent (before, or earlier in the same batch) is refused, an expired one too.
async fn a_batch_redeems_each_token_once(database: TestDatabase) {
    let scope = ws();
    let now = SystemTime::now();
    let mint = || scope.mint(Subject::User(1), None, &ALICE, now);
    let (spent, fresh, twice) = (mint(), mint(), mint());
    store::redeem(&database.db, unredeemed(&scope, &spent, now), now).await.unwrap();
    let batch = [&fresh, &spent, &twice, &twice].map(|t| unredeemed(&scope, t, now));
    let answers: Vec<_> = store::redeem_many(&database.db, &batch, now)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.map(|claims| claims.subject()))
        .collect();
    assert_eq!(
        answers,
        [
            Ok(Subject::User(1)),
            Err(Rejection::AlreadyUsed),
            Ok(Subject::User(1)),
            Err(Rejection::AlreadyUsed)
        ]
    );
    assert_eq!(redeemed_token::Entity::find().count(&database.db).await.unwrap(), 3);

    let later = now + purpose::WS.max_age().unwrap();
    let expired = vec![unredeemed(&scope, &mint(), now)];
    let answers = store::redeem_many(&database.db, &expired, later).await.unwrap();
    assert!(matches!(answers[..], [Err(Rejection::Expired)]));
    assert!(store::redeem_many(&database.db, &[], now).await.unwrap().is_empty());
}

/// Runs one scenario on SQLite and, where configured, on PostgreSQL.
macro_rules! on_both_databases {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $scenario() {
                    super::$scenario(super::test_database::sqlite().await.unwrap()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $scenario() {
                    if let Some(database) = super::test_database::postgres().await.unwrap() {
                        super::$scenario(database).await;
                    }
                }
            )*
        }
    };
}

on_both_databases!(
    exactly_one_concurrent_redeemer_wins,
    distinct_tokens_redeem_independently_and_purge,
    a_token_that_expired_after_verification_is_not_redeemed,
    a_rolled_back_redemption_can_be_retried,
    a_batch_redeems_each_token_once,
);
