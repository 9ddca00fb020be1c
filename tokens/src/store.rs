//! Single-use redemption on SeaORM (feature `store`).
//!
//! Redeeming inserts `(purpose, nonce)` into `redeemed_tokens`, whose primary key is that
//! pair. The database's uniqueness check is the arbiter: of any number of concurrent
//! redeemers, on any number of server instances, exactly one inserts the row, and the
//! others see zero rows affected. `ON CONFLICT DO NOTHING` keeps the loser's transaction
//! usable on PostgreSQL, where a unique violation would abort it.

use std::collections::HashSet;
use std::time::SystemTime;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set, TryInsertResult,
};

use crate::claims::unix_secs;
use crate::purpose::MAX_SINGLE_USE_AGE;
use crate::{Claims, Rejection, Unredeemed};

/// Rows outlive the longest possible single-use token by this much before they may be
/// purged. Purging exactly at expiry would let a server whose clock lags redeem a
/// just-purged token a second time; the grace comfortably exceeds
/// [`crate::CLOCK_SKEW_SECS`] plus any request's duration.
pub const PURGE_GRACE_SECS: u64 = 15 * 60;

const _: () = assert!(PURGE_GRACE_SECS > 2 * crate::CLOCK_SKEW_SECS);

/// Rows are kept for the longest max-age any single-use purpose may have, not the one
/// configured now: settings change, and instances in a rolling deploy disagree.
const KEEP_SECS: u64 = MAX_SINGLE_USE_AGE.as_secs() + PURGE_GRACE_SECS;

/// The `redeemed_tokens` table (created by the `migrations` crate).
pub mod redeemed_token {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "redeemed_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub purpose: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub nonce: Vec<u8>,
        /// Unix seconds after which the row may be purged.
        pub purge_after: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Why a redemption failed.
#[derive(Debug)]
pub enum RedeemError {
    /// The token was refused ([`Rejection::AlreadyUsed`] or [`Rejection::Expired`]).
    Rejected(Rejection),
    /// The database could not answer; nothing was redeemed.
    Database(DbErr),
}

impl std::fmt::Display for RedeemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rejected(rejection) => write!(f, "token rejected: {rejection}"),
            Self::Database(err) => write!(f, "database error while redeeming a token: {err}"),
        }
    }
}

impl std::error::Error for RedeemError {}

impl From<DbErr> for RedeemError {
    fn from(err: DbErr) -> Self {
        Self::Database(err)
    }
}

/// Spends a single-use token. Pass the caller's transaction as `db` to make the redemption
/// and what it grants commit (or roll back) together; on SQLite, redeem *first* in that
/// transaction, since a WAL transaction that reads before it writes fails with
/// `SQLITE_BUSY` instead of waiting when another writer got in between.
pub async fn redeem(
    db: &impl ConnectionTrait,
    token: Unredeemed,
    now: SystemTime,
) -> Result<Claims, RedeemError> {
    let Unredeemed { claims, nonce } = token;
    // Verification already checked expiry, but time may have passed since: re-check so a
    // row is never written after the grace window could have purged the original.
    let expires_at = claims.expires_at.expect("single-use purposes always have a max-age");
    if unix_secs(now) >= expires_at {
        return Err(RedeemError::Rejected(Rejection::Expired));
    }
    let row = redeemed_token::ActiveModel {
        purpose: Set(claims.purpose.to_owned()),
        nonce: Set(nonce.to_vec()),
        purge_after: Set(to_i64(claims.issued_at.saturating_add(KEEP_SECS))),
    };
    let inserted = redeemed_token::Entity::insert(row)
        .on_conflict_do_nothing_on([redeemed_token::Column::Purpose, redeemed_token::Column::Nonce])
        .exec_without_returning(db)
        .await?;
    match inserted {
        TryInsertResult::Inserted(1) => Ok(claims),
        _ => Err(RedeemError::Rejected(Rejection::AlreadyUsed)),
    }
}

/// Spends several single-use tokens with one statement, for callers that write in batches
/// (group commit). Each answer is what [`redeem`] alone would have said, in order; of two
/// copies of one token in the same call, the first wins. Same transaction advice as
/// [`redeem`]. The tokens are borrowed so that a batch whose transaction failed can be
/// tried again: the row, not the value, is what spends a token.
pub async fn redeem_many<'a>(
    db: &impl ConnectionTrait,
    tokens: impl IntoIterator<Item = &'a Unredeemed>,
    now: SystemTime,
) -> Result<Vec<Result<Claims, Rejection>>, DbErr> {
    let now_secs = unix_secs(now);
    let tokens = tokens.into_iter();
    let mut answers = Vec::with_capacity(tokens.size_hint().0);
    let mut fresh = Vec::with_capacity(tokens.size_hint().0);
    let mut seen = HashSet::with_capacity(tokens.size_hint().0);
    for Unredeemed { claims, nonce } in tokens {
        let (claims, nonce) = (claims.clone(), *nonce);
        let expires_at = claims.expires_at.expect("single-use purposes always have a max-age");
        if now_secs >= expires_at {
            answers.push(Err(Rejection::Expired));
        } else if !seen.insert((claims.purpose, nonce)) {
            answers.push(Err(Rejection::AlreadyUsed));
        } else {
            fresh.push((claims.purpose, nonce, claims.issued_at));
            answers.push(Ok((claims, nonce)));
        }
    }
    // Rows in one order on every instance, so that concurrent batches on PostgreSQL take
    // the unique index's locks in the same order and cannot deadlock.
    fresh.sort_unstable();
    let rows = fresh.into_iter().map(|(purpose, nonce, issued_at)| redeemed_token::ActiveModel {
        purpose: Set(purpose.to_owned()),
        nonce: Set(nonce.to_vec()),
        purge_after: Set(to_i64(issued_at.saturating_add(KEEP_SECS))),
    });
    let columns = [redeemed_token::Column::Purpose, redeemed_token::Column::Nonce];
    let inserted: HashSet<(String, Vec<u8>)> = match redeemed_token::Entity::insert_many(rows)
        .on_conflict_do_nothing_on(columns)
        .exec_with_returning_many(db)
        .await?
    {
        TryInsertResult::Inserted(models) => {
            models.into_iter().map(|m| (m.purpose, m.nonce)).collect()
        }
        TryInsertResult::Conflicted | TryInsertResult::Empty => HashSet::new(),
    };
    Ok(answers
        .into_iter()
        .map(|answer| {
            let (claims, nonce) = answer?;
            if inserted.contains(&(claims.purpose.to_owned(), nonce.to_vec())) {
                Ok(claims)
            } else {
                Err(Rejection::AlreadyUsed)
            }
        })
        .collect())
}

/// Deletes the rows of tokens that can no longer verify. Run it periodically; the table
/// then stays bounded by redemption rate × ([`MAX_SINGLE_USE_AGE`] + grace).
pub async fn purge_expired(db: &impl ConnectionTrait, now: SystemTime) -> Result<u64, DbErr> {
    let result = redeemed_token::Entity::delete_many()
        .filter(redeemed_token::Column::PurgeAfter.lte(to_i64(unix_secs(now))))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

fn to_i64(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX)
}
