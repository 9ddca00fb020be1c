//! "Only the named guest": a browser proves once that it is the guest's by typing a code
//! emailed to the guest's address; the proof is a row per (share, browser) that lasts as
//! long as the share. A forwarded link is then useless in anyone else's browser.
//!
//! Codes are six digits, Argon2id-hashed by the mail worker when it sends them, each good
//! for [`CODE_LIFETIME`] and [`ATTEMPTS_PER_CODE`] tries, and bound to the browser that asked:
//! a code read over the guest's shoulder confirms only the guest's own browser.
//!
//! Limits, so the link cannot flood the guest's inbox nor guess a code in time: code
//! emails per share per hour ([`CODE_EMAILS_PER_HOUR`]) and per guest address per day, over
//! all shares to it ([`CODE_EMAILS_PER_ADDRESS_PER_DAY`]); tries per share per day
//! ([`TRIES_PER_SHARE_PER_DAY`]), so one share's code is guessed with a chance of at most
//! 20 in a million a day.
//!
//! Whoever holds a forwarded link can use those limits up, but cannot keep the guest out:
//! each code email also carries a link with a 128-bit key (only its SHA-256 is stored),
//! good for [`LINK_LIFETIME`] in whichever browser opens it and presses its button. The key
//! cannot be guessed, so its link spends no tries. A share's limits count only emails whose
//! link works or may (not those the worker dropped, nor those a reset ended), and each
//! share keeps one email a day that the address's limit cannot take: so while a limit
//! stops the guest from asking, a working link to that share is in the guest's inbox
//! (unless its delivery failed).

use std::time::{Duration, SystemTime};

use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _, PaginatorTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _, Set,
};

use super::BrowserId;
use crate::domain::SignInCode;
use crate::entities::{outbox_message, share_browser, share_code};
use crate::services::digest::{is_secret, new_secret, sha256_hex};
use crate::services::sign_in::CodeHasher;
use crate::services::time::{secs, unix_secs};
use crate::services::{Db, db, outbox};

pub const CODE_LIFETIME: Duration = Duration::from_secs(15 * 60);
pub const ATTEMPTS_PER_CODE: i32 = 5;
pub const CODE_EMAILS_PER_HOUR: u64 = 5;
pub const CODE_EMAILS_PER_ADDRESS_PER_DAY: u64 = 10;
pub const TRIES_PER_SHARE_PER_DAY: i64 = 20;
/// As long as the longest window of the limits on code emails (see the module's docs).
pub const LINK_LIFETIME: Duration = Duration::from_secs(86_400);

/// Whether `browser` confirmed for `share_id`.
pub(super) async fn is_confirmed(
    db: &impl ConnectionTrait,
    share_id: i64,
    browser: Option<&BrowserId>,
) -> Result<bool, DbErr> {
    let Some(browser) = browser else { return Ok(false) };
    let found = share_browser::Entity::find()
        .filter(share_browser::Column::ShareId.eq(share_id))
        .filter(share_browser::Column::Browser.eq(browser.digest()))
        .count(db)
        .await?;
    Ok(found > 0)
}

/// What became of "email me a code".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeSent {
    Sent,
    /// Over [`CODE_EMAILS_PER_HOUR`] for this share.
    OverLimit,
    /// The link does not work, or its share does not ask for a code.
    Refused,
}

/// Queues a code for `browser` to the guest's address, in one transaction with its row.
pub(super) async fn ask(
    db: &Db,
    share_id: i64,
    guest_email: &str,
    browser: &BrowserId,
    now: SystemTime,
) -> Result<CodeSent, DbErr> {
    let now_secs = unix_secs(now);
    let txn = db::begin_for_limits(&db.write, None).await?;
    // Exact across instances: every count below is of this address's mail.
    db::lock_for_limits(&txn, [format!("share-codes:{guest_email}")]).await?;
    let this_share = |since: i64| {
        share_code::Entity::find()
            .filter(share_code::Column::ShareId.eq(share_id))
            .filter(share_code::Column::CreatedAt.gt(since))
            .filter(link_may_work(now_secs))
            .count(&txn)
    };
    let last_hour = this_share(now_secs - 3600).await?;
    let last_day = this_share(now_secs - 86_400).await?;
    // Messages, not rows: a share's rows go with it, the address's mail stays. Those the
    // worker dropped or gave up on reached nobody, so they take nobody's place.
    let to_address = outbox_message::Entity::find()
        .filter(outbox_message::Column::Kind.eq(outbox_message::SHARE_CODE))
        .filter(outbox_message::Column::Recipient.eq(guest_email))
        .filter(outbox_message::Column::CreatedAt.gt(now_secs - 86_400))
        .filter(
            outbox_message::Column::Status
                .is_not_in([outbox_message::DROPPED, outbox_message::FAILED]),
        )
        .count(&txn)
        .await?;
    // Each share keeps one email a day that the address's limit cannot take: otherwise a
    // forwarded link to one share could spend the address's day, and every email it sent
    // would carry links to that share only.
    let address_full = to_address >= CODE_EMAILS_PER_ADDRESS_PER_DAY && last_day > 0;
    if last_hour >= CODE_EMAILS_PER_HOUR || address_full {
        tracing::info!(share = share_id, "share code emails over a limit; not sent");
        return Ok(CodeSent::OverLimit);
    }
    let row = share_code::Entity::insert(share_code::ActiveModel {
        share_id: Set(share_id),
        browser: Set(browser.digest()),
        code_hash: Set(None),
        created_at: Set(now_secs),
        expires_at: Set(now_secs.saturating_add(secs(CODE_LIFETIME))),
        attempts: Set(0),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    outbox::enqueue(&txn, outbox_message::SHARE_CODE, row.last_insert_id, guest_email, now).await?;
    txn.commit().await?;
    Ok(CodeSent::Sent)
}

/// What became of a typed code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmed {
    Confirmed,
    /// Not a live code of this browser's for this share (wrong, expired, or out of tries).
    WrongCode,
    /// The link does not work, or its share does not ask for a code.
    Refused,
}

/// Checks `code` against this browser's live codes for the share; on a match the browser
/// is confirmed and its codes are spent.
pub(super) async fn confirm(
    db: &Db,
    hasher: &CodeHasher,
    share_id: i64,
    browser: &BrowserId,
    code: &SignInCode,
    now: SystemTime,
) -> Result<Confirmed, DbErr> {
    let now_secs = unix_secs(now);
    let digest = browser.digest();
    let tried: Option<i64> = share_code::Entity::find()
        .select_only()
        .column_as(Expr::col(share_code::Column::Attempts).sum(), "tried")
        .filter(share_code::Column::ShareId.eq(share_id))
        .filter(share_code::Column::CreatedAt.gt(now_secs - 86_400))
        .into_tuple::<Option<i64>>()
        .one(&db.write)
        .await?
        .flatten();
    if tried.unwrap_or_default() >= TRIES_PER_SHARE_PER_DAY {
        tracing::info!(share = share_id, "share code tries over the daily limit; refused");
        return Ok(Confirmed::WrongCode);
    }
    let live = share_code::Entity::find()
        .filter(share_code::Column::ShareId.eq(share_id))
        .filter(share_code::Column::Browser.eq(&digest))
        .filter(share_code::Column::ExpiresAt.gt(now_secs))
        .filter(share_code::Column::Attempts.lt(ATTEMPTS_PER_CODE))
        .filter(share_code::Column::CodeHash.is_not_null())
        .order_by_desc(share_code::Column::Id)
        .limit(3)
        .all(&db.write)
        .await?;
    let mut matched = None;
    for row in live {
        // Each try is spent before it is checked, and only while tries remain: concurrent
        // guesses cannot get more than their share of tries.
        let spent = share_code::Entity::update_many()
            .col_expr(share_code::Column::Attempts, Expr::col(share_code::Column::Attempts).add(1))
            .filter(share_code::Column::Id.eq(row.id))
            .filter(share_code::Column::Attempts.lt(ATTEMPTS_PER_CODE))
            .exec(&db.write)
            .await?;
        if spent.rows_affected == 0 {
            continue;
        }
        let Some(hash) = row.code_hash else { continue };
        let _turn = hasher.turn().await;
        let (h, code) = (hasher.clone(), code.clone());
        let verified = tokio::task::spawn_blocking(move || h.verify(&code, &hash));
        if verified.await.unwrap_or(false) {
            matched = Some(row.id);
            break;
        }
    }
    let Some(matched) = matched else { return Ok(Confirmed::WrongCode) };
    let txn = begin_confirming(db, share_id).await?;
    // Still live now that no reset can run: one that ran while the code was checked ended it.
    let live = share_code::Entity::find_by_id(matched)
        .filter(share_code::Column::ExpiresAt.gt(now_secs))
        .count(&txn)
        .await?;
    if live == 0 {
        return Ok(Confirmed::WrongCode);
    }
    remember(&txn, share_id, browser, now_secs).await?;
    // Spent (expired now), not deleted: the rows still count towards the limits.
    share_code::Entity::update_many()
        .col_expr(share_code::Column::ExpiresAt, Expr::value(now_secs))
        .filter(share_code::Column::ShareId.eq(share_id))
        .filter(share_code::Column::Browser.eq(&digest))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Confirmed::Confirmed)
}

/// What a code email carries: the code, and the key of its link (see the module's docs).
pub(super) struct Issued {
    pub row: share_code::Model,
    pub code: SignInCode,
    pub link_key: String,
}

/// The code and link key for message `code_id`, freshly generated and their hashes stored;
/// `None` when the row is gone or expired. A retried email carries a new code and key, and
/// only the newest work.
pub(super) async fn issue(
    db: &Db,
    hasher: &CodeHasher,
    code_id: i64,
    now: SystemTime,
) -> Result<Option<Issued>, DbErr> {
    let Some(row) = share_code::Entity::find_by_id(code_id).one(&db.write).await? else {
        return Ok(None);
    };
    if row.expires_at <= unix_secs(now) {
        return Ok(None);
    }
    let code = CodeHasher::generate();
    let _turn = hasher.turn().await;
    let (h, c) = (hasher.clone(), code.clone());
    let hash = tokio::task::spawn_blocking(move || h.hash(&c))
        .await
        .map_err(|e| DbErr::Custom(format!("hashing a share code failed: {e}")))?;
    let link_key = new_secret::<LINK_KEY_BYTES>();
    share_code::Entity::update_many()
        .col_expr(share_code::Column::CodeHash, Expr::value(hash))
        .col_expr(share_code::Column::LinkHash, Expr::value(sha256_hex(&link_key)))
        .filter(share_code::Column::Id.eq(code_id))
        .exec(&db.write)
        .await?;
    Ok(Some(Issued { row, code, link_key }))
}

/// A code row whose email's link works, or may (its email has yet to go). One the mail
/// worker dropped, or whose link the owner's reset ended, gives the guest no way in, so it
/// takes no place under the share's limits.
fn link_may_work(now_secs: i64) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(share_code::Column::LinkHash.is_not_null())
        .add(share_code::Column::ExpiresAt.gt(now_secs))
}

/// A code email's link key: 128 random bits.
const LINK_KEY_BYTES: usize = 16;

/// Whether `key` can be a link key of ours (anything else is refused before any lookup).
pub(super) fn is_link_key(key: &str) -> bool {
    is_secret::<LINK_KEY_BYTES>(key)
}

/// Confirms `browser` for the share with the link of code email `code_id`, whose key is
/// `key`, while the link works (see the module's docs).
pub(super) async fn confirm_by_link(
    db: &Db,
    share_id: i64,
    code_id: i64,
    key: &str,
    browser: &BrowserId,
    now: SystemTime,
) -> Result<Confirmed, DbErr> {
    let now_secs = unix_secs(now);
    let txn = begin_confirming(db, share_id).await?;
    // Found by its digest, as a session is: nothing is compared here on the key itself.
    let found = share_code::Entity::find_by_id(code_id)
        .filter(share_code::Column::ShareId.eq(share_id))
        .filter(share_code::Column::LinkHash.eq(sha256_hex(key)))
        .filter(share_code::Column::CreatedAt.gt(now_secs.saturating_sub(secs(LINK_LIFETIME))))
        .count(&txn)
        .await?;
    if found == 0 {
        return Ok(Confirmed::WrongCode);
    }
    remember(&txn, share_id, browser, now_secs).await?;
    txn.commit().await?;
    Ok(Confirmed::Confirmed)
}

/// A transaction in which the share's confirmed browsers change, in turn with any other:
/// otherwise a browser whose code or link was checked just before the owner reset the
/// share's browsers would be remembered just after, as if the reset had not happened.
pub(super) async fn begin_confirming(
    db: &Db,
    share_id: i64,
) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    let txn = db::begin_for_limits(&db.write, None).await?;
    db::lock_for_limits(&txn, [format!("share-browsers:{share_id}")]).await?;
    Ok(txn)
}

/// `browser` has confirmed for the share, for as long as the share lasts.
async fn remember(
    db: &impl ConnectionTrait,
    share_id: i64,
    browser: &BrowserId,
    now_secs: i64,
) -> Result<(), DbErr> {
    share_browser::Entity::insert(share_browser::ActiveModel {
        share_id: Set(share_id),
        browser: Set(browser.digest()),
        confirmed_at: Set(now_secs),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([share_browser::Column::ShareId, share_browser::Column::Browser])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Forgets every browser confirmed for the share: each must confirm again.
pub(super) async fn reset(db: &impl ConnectionTrait, share_id: i64) -> Result<u64, DbErr> {
    let deleted = share_browser::Entity::delete_many()
        .filter(share_browser::Column::ShareId.eq(share_id))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}
