//! The mail outbox: messages are queued in the transaction of the action that causes them,
//! and a worker claims, delivers and settles them. At-least-once: a worker that dies
//! mid-delivery leaves a claim that runs out, and another attempt follows.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, SystemTime};

use sea_orm::sea_query::{Asterisk, Expr, ExprTrait as _, Query, SelectStatement, UnionType};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _, QueryTrait as _, Set,
};

use crate::entities::outbox_message::{self as message, DROPPED, FAILED, PENDING, SENT, SIGN_IN};
use crate::services::time::{secs, unix_secs};

/// After this many failed attempts a message is given up (about 1 h 40 min of retrying).
pub const MAX_ATTEMPTS: i32 = 24;
const MAX_BACKOFF: Duration = Duration::from_secs(5 * 60);

/// Queues a message. Pass the transaction of the action it reports on.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    kind: &str,
    reference_id: i64,
    recipient: &str,
    now: SystemTime,
) -> Result<i64, DbErr> {
    Ok(new_message(kind, reference_id, recipient, now).insert(db).await?.id)
}

/// A pending message, due now, for a multi-row insert.
pub fn new_message(
    kind: &str,
    reference_id: i64,
    recipient: &str,
    now: SystemTime,
) -> message::ActiveModel {
    let now = unix_secs(now);
    message::ActiveModel {
        kind: Set(kind.to_owned()),
        reference_id: Set(reference_id),
        recipient: Set(recipient.to_owned()),
        status: Set(PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        fair_rank: Set(0),
        network: Set(None),
        ..Default::default()
    }
}

/// Claims up to `limit` due messages for `lease`, of every kind, in the order of their
/// fair rank as queued: see [`claim_due_fairly`].
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: SystemTime,
    lease: Duration,
    limit: u64,
) -> Result<Vec<message::Model>, DbErr> {
    let fairness = Fairness { sign_in_room: u64::MAX, window: None };
    claim_due_fairly(db, now, lease, limit, fairness).await
}

/// How claims share out sign-in emails.
#[derive(Clone, Copy, Debug)]
pub struct Fairness {
    /// Sign-in emails that may be claimed now under the site-wide ceiling (see
    /// [`sign_in_sent_since`]).
    pub sign_in_room: u64,
    /// The window over which a network's sign-in emails are counted for its rank; `None`
    /// keeps the ranks as queued.
    pub window: Option<Duration>,
}

/// The highest fair rank: a network's earlier emails in the window are counted up to this
/// many. Past it a network is a flood (or a very busy shared one) either way, and counting
/// on would cost every batch of requests, and every claim, the flood's size.
pub const RANK_CAP: u64 = 100;

/// `SELECT <labels>, COUNT(*) AS n FROM (<rows> LIMIT <at_most>)`: how many rows `rows`
/// selects, counted no further than `at_most`, so that a flood's count costs no more than
/// that to read (see [`RANK_CAP`]). Both the requests' and the claims' counts of a
/// network's volume are made this way.
pub(crate) fn count_at_most(
    mut rows: SelectStatement,
    at_most: u64,
    labels: impl IntoIterator<Item = (Expr, &'static str)>,
) -> SelectStatement {
    rows.limit(at_most);
    let mut count = Query::select();
    for (value, name) in labels {
        count.expr_as(value, name);
    }
    count.expr_as(Expr::col(Asterisk).count(), "n").from_subquery(rows, "recent").to_owned()
}

/// Candidates looked at per round beyond those wanted, so that a flood's stale ranks are
/// raised many at a time; rounds per claim, so that one claim stays short.
const RERANK_BATCH: u64 = 64;
const MAX_ROUNDS: usize = 16;

/// Claims up to `limit` due messages for `lease`, of which at most `sign_in_room` sign-in
/// emails, lowest fair rank first and oldest first within a rank.
///
/// A sign-in email's rank is how many its network had asked for in the window, up to
/// [`RANK_CAP`]: set when queued, and raised here for a candidate whose network has asked
/// for more since (so the first email of a network that then asked for thousands does not
/// keep its place ahead of a person who asked once). A network that asks for many waits
/// behind those that ask for few, and a flood cannot push one real request to the back.
///
/// Each claim is a conditional update, so of several workers (or instances) racing for one
/// message exactly one gets it; a claim that is neither settled nor retried before the
/// lease ends is taken over by the next poll.
pub async fn claim_due_fairly(
    db: &impl ConnectionTrait,
    now: SystemTime,
    lease: Duration,
    limit: u64,
    fairness: Fairness,
) -> Result<Vec<message::Model>, DbErr> {
    let now_secs = unix_secs(now);
    let free =
        || message::Column::LockedUntil.is_null().or(message::Column::LockedUntil.lte(now_secs));
    let mut claimed = Vec::new();
    let mut sign_in_room = fairness.sign_in_room;
    for _ in 0..MAX_ROUNDS {
        let wanted = limit.saturating_sub(claimed.len() as u64);
        if wanted == 0 {
            break;
        }
        let mut due = message::Entity::find()
            .filter(message::Column::Status.eq(PENDING))
            .filter(message::Column::NextAttemptAt.lte(now_secs))
            // A message whose every claim ran out (a worker died on it each time) is not
            // claimed forever.
            .filter(message::Column::Attempts.lt(MAX_ATTEMPTS))
            .filter(free());
        if sign_in_room == 0 {
            due = due.filter(message::Column::Kind.ne(SIGN_IN));
        }
        let candidates = due
            .order_by_asc(message::Column::FairRank)
            .order_by_asc(message::Column::Id)
            .limit(wanted + if fairness.window.is_some() { RERANK_BATCH } else { 0 })
            .all(db)
            .await?;
        if candidates.is_empty() {
            break;
        }
        let raised = match fairness.window {
            Some(window) => raise_stale_ranks(db, &candidates, now - window).await?,
            None => HashMap::new(),
        };
        // A raised candidate may now belong behind others not fetched: only those still
        // ranked below every raised one keep their place this round.
        let bar = raised.values().copied().min().unwrap_or(i32::MAX);
        let keeping = candidates
            .into_iter()
            .filter(|row| !raised.contains_key(&row.id) && row.fair_rank < bar);
        for mut row in keeping {
            if claimed.len() as u64 >= limit {
                break;
            }
            if row.kind == SIGN_IN {
                if sign_in_room == 0 {
                    continue;
                }
                sign_in_room -= 1;
            }
            let result = message::Entity::update_many()
                .col_expr(message::Column::LockedUntil, Expr::value(now_secs + secs(lease)))
                .col_expr(message::Column::Attempts, Expr::col(message::Column::Attempts).add(1))
                .filter(message::Column::Id.eq(row.id))
                .filter(message::Column::Status.eq(PENDING))
                .filter(free())
                .exec(db)
                .await?;
            if result.rows_affected == 1 {
                row.attempts += 1;
                claimed.push(row);
            }
        }
        // With no rank raised, the next round would find the same candidates.
        if raised.is_empty() {
            break;
        }
    }
    Ok(claimed)
}

/// Raises the rank of each sign-in candidate whose network has asked for more emails since
/// it was ranked (counted since `since`); returns the ids raised, with their new ranks.
async fn raise_stale_ranks(
    db: &impl ConnectionTrait,
    candidates: &[message::Model],
    since: SystemTime,
) -> Result<HashMap<i64, i32>, DbErr> {
    let networks: BTreeSet<&str> = candidates.iter().filter_map(|m| m.network.as_deref()).collect();
    // Each network's volume, counted up to one past the highest rank (see `RANK_CAP`).
    let volume_of = |network: &str| {
        let recent = message::Entity::find()
            .select_only()
            .column(message::Column::Id)
            .filter(message::Column::Network.eq(network))
            .filter(message::Column::CreatedAt.gt(unix_secs(since)))
            .into_query();
        count_at_most(recent, RANK_CAP + 1, [(Expr::val(network), "network")])
    };
    let networks: Vec<&str> = networks.into_iter().collect();
    let mut volume: HashMap<String, i64> = HashMap::new();
    // One term per network, in queries within SQLite's 500 terms per compound SELECT.
    for chunk in networks.chunks(200) {
        let mut terms = chunk.iter().map(|network| volume_of(network));
        let Some(mut query) = terms.next() else { continue };
        query.unions(terms.map(|other| (UnionType::All, other)));
        for row in db.query_all(&query).await? {
            volume.insert(row.try_get("", "network")?, row.try_get("", "n")?);
        }
    }
    let mut raised_to: HashMap<i32, Vec<i64>> = HashMap::new();
    for message in candidates {
        let Some(network) = &message.network else { continue };
        let rank = volume.get(network).map_or(0, |n| i32::try_from(n - 1).unwrap_or(i32::MAX));
        if rank > message.fair_rank {
            raised_to.entry(rank).or_default().push(message.id);
        }
    }
    let mut raised = HashMap::new();
    for (rank, ids) in raised_to {
        message::Entity::update_many()
            .col_expr(message::Column::FairRank, Expr::value(rank))
            .filter(message::Column::Id.is_in(ids.iter().copied()))
            .filter(message::Column::Status.eq(PENDING))
            .exec(db)
            .await?;
        raised.extend(ids.into_iter().map(|id| (id, rank)));
    }
    Ok(raised)
}

/// Sign-in emails sent since `since`, by every instance: what the site-wide ceiling on
/// sign-in emails per minute counts (with the worker's own deliveries in flight).
pub async fn sign_in_sent_since(
    db: &impl ConnectionTrait,
    since: SystemTime,
) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait as _;
    message::Entity::find()
        .filter(message::Column::Kind.eq(SIGN_IN))
        .filter(message::Column::Status.eq(SENT))
        .filter(message::Column::SentAt.gt(unix_secs(since)))
        .count(db)
        .await
}

/// Delivered.
pub async fn mark_sent(db: &impl ConnectionTrait, id: i64, now: SystemTime) -> Result<(), DbErr> {
    settle(db, id, SENT, None, Some(unix_secs(now))).await
}

/// Not worth sending any more (say, the link inside has expired).
pub async fn drop_message(db: &impl ConnectionTrait, id: i64, why: &str) -> Result<(), DbErr> {
    settle(db, id, DROPPED, Some(why), None).await
}

/// Delivery failed: try again after an exponential backoff (1 s, 2 s, 4 s… up to 5 min),
/// or give up once `MAX_ATTEMPTS` have failed. Returns when the next attempt is due.
pub async fn retry_later(
    db: &impl ConnectionTrait,
    failed: &message::Model,
    error: &str,
    now: SystemTime,
) -> Result<Option<SystemTime>, DbErr> {
    if failed.attempts >= MAX_ATTEMPTS {
        settle(db, failed.id, FAILED, Some(error), None).await?;
        return Ok(None);
    }
    let next = now + backoff(failed.attempts);
    message::Entity::update_many()
        .col_expr(message::Column::NextAttemptAt, Expr::value(unix_secs(next)))
        .col_expr(message::Column::LockedUntil, Expr::value(Option::<i64>::None))
        .col_expr(message::Column::LastError, Expr::value(truncate(error)))
        .filter(message::Column::Id.eq(failed.id))
        .exec(db)
        .await?;
    Ok(Some(next))
}

/// Marks failed the messages whose every claim ran out (a worker died on each attempt), so
/// none is left pending for ever; the purge deletes them later. Returns how many.
pub async fn fail_exhausted(db: &impl ConnectionTrait, now: SystemTime) -> Result<u64, DbErr> {
    let now = unix_secs(now);
    let failed = message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value(FAILED))
        .col_expr(message::Column::LockedUntil, Expr::value(Option::<i64>::None))
        .col_expr(message::Column::LastError, Expr::value("every attempt's claim ran out"))
        .filter(message::Column::Status.eq(PENDING))
        .filter(message::Column::Attempts.gte(MAX_ATTEMPTS))
        .filter(message::Column::LockedUntil.is_null().or(message::Column::LockedUntil.lte(now)))
        .exec(db)
        .await?;
    Ok(failed.rows_affected)
}

/// Deletes settled (sent, dropped, failed) messages created before `before`.
pub async fn purge_settled(db: &impl ConnectionTrait, before: SystemTime) -> Result<u64, DbErr> {
    let deleted = message::Entity::delete_many()
        .filter(message::Column::Status.ne(PENDING))
        .filter(message::Column::CreatedAt.lt(unix_secs(before)))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// The wait after the `attempts`-th failure.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = std::cmp::min(u32::try_from(attempts.saturating_sub(1)).unwrap_or(0), 16);
    std::cmp::min(Duration::from_secs(1 << exponent), MAX_BACKOFF)
}

async fn settle(
    db: &impl ConnectionTrait,
    id: i64,
    status: &str,
    error: Option<&str>,
    sent_at: Option<i64>,
) -> Result<(), DbErr> {
    message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value(status))
        .col_expr(message::Column::LockedUntil, Expr::value(Option::<i64>::None))
        .col_expr(message::Column::LastError, Expr::value(error.map(truncate)))
        .col_expr(message::Column::SentAt, Expr::value(sent_at))
        .filter(message::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

fn truncate(error: &str) -> String {
    error.chars().take(1000).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        let waits: Vec<_> = (1..=11).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(backoff(0).as_secs(), 1);
        assert_eq!(backoff(i32::MAX).as_secs(), 300);
    }
}
