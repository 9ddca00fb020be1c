//! Writing sign-in requests in batches (see `writer`): one query for both rate limits and
//! one multi-row insert per table, whatever the batch size. The limits are applied in
//! arrival order, exactly as if the requests were written one by one.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sea_orm::sea_query::{Expr, ExprTrait as _, UnionType};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait as _, DatabaseTransaction, DbErr, EntityTrait as _,
    QueryFilter as _, QuerySelect as _, QueryTrait as _, Set,
};

use crate::domain::NextPath;
use crate::entities::{outbox_message, sign_in_request};
use crate::services::SignInSettings;
use crate::services::time::{secs, unix_secs};
use crate::services::{db, outbox};

/// What happened to a request. Never shown: the person asking always gets the same answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Queued,
    InvalidAddress,
    OverAddressLimit,
    OverIpLimit,
}

/// A request as the writer needs it.
pub struct Pending {
    pub handle_hash: String,
    /// Normalised address, or the input as typed when it did not parse.
    pub email: String,
    /// What the per-address limit counts by (`EmailAddress::mailbox`).
    pub mailbox: String,
    pub valid_address: bool,
    /// The per-IP limit's key (an IPv6 /64).
    pub client_ip: String,
    /// Fair delivery's key (`network::mail_network`).
    pub network: String,
    pub user_agent: String,
    pub next: Option<NextPath>,
    /// Digest of the requesting browser's cookie secret, if it sent one.
    pub browser_hash: Option<String>,
    /// `sign_in_request::BROWSER`, `RESEND` or `OFFLINE`.
    pub binding: &'static str,
    pub now: SystemTime,
}

impl Pending {
    /// Its row, expiring one link lifetime after `now`.
    pub fn row(&self, mailed: bool, login_max_age: Duration) -> sign_in_request::ActiveModel {
        let now = unix_secs(self.now);
        sign_in_request::ActiveModel {
            handle_hash: Set(self.handle_hash.clone()),
            email: Set(self.email.clone()),
            mailed: Set(mailed),
            client_ip: Set(self.client_ip.clone()),
            user_agent: Set(self.user_agent.clone()),
            next_path: Set(self.next.as_ref().map(ToString::to_string)),
            created_at: Set(now),
            expires_at: Set(now + secs(login_max_age)),
            code_hash: Set(None),
            code_attempts: Set(0),
            consumed_at: Set(None),
            browser_hash: Set(self.browser_hash.clone()),
            binding: Set(self.binding.to_owned()),
            mailbox: Set(self.mailbox.clone()),
            network: Set(self.network.clone()),
            ..Default::default()
        }
    }
}

#[cfg(test)]
impl Pending {
    /// A request for `email` from 192.0.2.1, with a handle of its own, as the unit tests
    /// of the sign-in steps make them.
    pub fn for_tests(email: &str, now: SystemTime) -> Self {
        Self {
            handle_hash: super::handles::new_handle(now).1,
            email: email.to_owned(),
            mailbox: email.to_owned(),
            valid_address: true,
            client_ip: "192.0.2.1".into(),
            network: "192.0.2.0/24".into(),
            user_agent: String::new(),
            next: None,
            browser_hash: None,
            binding: sign_in_request::BROWSER,
            now,
        }
    }
}

/// What became of one request: its outcome and, when recorded, its row id.
pub struct Written {
    pub outcome: Outcome,
    pub id: Option<i64>,
}

/// The sign-in rules the writer applies: the settings, and how long a link lives.
pub(super) struct SignInRules {
    pub settings: Arc<SignInSettings>,
    pub login_max_age: Duration,
    /// How long an address an account left stays kept for it
    /// (`Scopes::address_kept_for`).
    pub address_kept_for: Duration,
}

/// What the rate limits and fair delivery need of a batch's senders, in one query: recent
/// requests per client address, and recent mailed requests per mailbox and per network.
#[derive(Default)]
struct RecentCounts {
    per_ip: HashMap<String, i64>,
    per_mailbox: HashMap<String, i64>,
    per_network: HashMap<String, i64>,
}

async fn recent_counts(
    txn: &DatabaseTransaction,
    batch: &[&Pending],
    since: i64,
) -> Result<RecentCounts, DbErr> {
    use sign_in_request::Column as C;
    const PER_IP: i32 = 0;
    const PER_MAILBOX: i32 = 1;
    const PER_NETWORK: i32 = 2;
    let count = |kind: i32, key: C, values: Vec<&str>| {
        let query = sign_in_request::Entity::find()
            .select_only()
            .column_as(Expr::val(kind), "kind")
            .column_as(key, "key")
            .column_as(Expr::col(C::Id).count(), "n")
            .filter(key.is_in(values))
            .filter(C::CreatedAt.gt(since));
        // Only mailed requests count against an address: the limit is on emails sent.
        let query = if kind == PER_IP { query } else { query.filter(C::Mailed.eq(true)) };
        query.group_by(key).into_query()
    };
    // A network's count stops at the highest rank: counted in full, a flood's would cost
    // every batch the flood's size (see `outbox::RANK_CAP`). The other two are bounded by
    // their limits. One term per network: a batch (at most 256 jobs) stays well within
    // SQLite's 500 terms per compound SELECT.
    let capped = |network: &str| {
        let recent = sign_in_request::Entity::find()
            .select_only()
            .column(C::Id)
            .filter(C::Network.eq(network))
            .filter(C::Mailed.eq(true))
            .filter(C::CreatedAt.gt(since))
            .into_query();
        let labels = [(Expr::val(PER_NETWORK), "kind"), (Expr::val(network), "key")];
        outbox::count_at_most(recent, outbox::RANK_CAP, labels)
    };
    let ips = batch.iter().map(|p| p.client_ip.as_str()).collect();
    let networks: BTreeSet<&str> = batch.iter().map(|p| p.network.as_str()).collect();
    let mailboxes: Vec<&str> =
        batch.iter().filter(|p| p.valid_address).map(|p| p.mailbox.as_str()).collect();
    let mut query = count(PER_IP, C::ClientIp, ips);
    query.unions(networks.into_iter().map(|network| (UnionType::All, capped(network))));
    if !mailboxes.is_empty() {
        query.union(UnionType::All, count(PER_MAILBOX, C::Mailbox, mailboxes));
    }
    let mut counts = RecentCounts::default();
    for row in txn.query_all(&query).await? {
        let (kind, key, n): (i32, String, i64) =
            (row.try_get("", "kind")?, row.try_get("", "key")?, row.try_get("", "n")?);
        match kind {
            PER_MAILBOX => counts.per_mailbox.insert(key, n),
            PER_NETWORK => counts.per_network.insert(key, n),
            _ => counts.per_ip.insert(key, n),
        };
    }
    Ok(counts)
}

/// Records `batch` in the caller's transaction and queues the emails of those within the
/// limits; answers each, in order.
pub(super) async fn write(
    txn: &DatabaseTransaction,
    rules: &SignInRules,
    batch: &[&Pending],
) -> Result<Vec<Written>, DbErr> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let settings = &rules.settings;
    let window = secs(settings.rate_window);
    let earliest = batch.iter().map(|p| unix_secs(p.now)).min().unwrap_or_default();
    let since = earliest - window;

    // Exact across instances on PostgreSQL (see `lock_for_limits`).
    let buckets = batch
        .iter()
        .flat_map(|p| [format!("ip:{}", p.client_ip), format!("mailbox:{}", p.mailbox)]);
    db::lock_for_limits(txn, buckets).await?;
    let RecentCounts { mut per_ip, mut per_mailbox, mut per_network } =
        recent_counts(txn, batch, since).await?;

    // In arrival order, as if each had been written alone.
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut ranks = Vec::with_capacity(batch.len());
    let mut rows = Vec::new();
    for pending in batch {
        let from_ip = per_ip.entry(pending.client_ip.clone()).or_default();
        if *from_ip >= i64::from(settings.per_ip) {
            outcomes.push(Outcome::OverIpLimit);
            continue;
        }
        *from_ip += 1;
        let outcome = if !pending.valid_address {
            Outcome::InvalidAddress
        } else {
            let mailed = per_mailbox.entry(pending.mailbox.clone()).or_default();
            if *mailed >= i64::from(settings.per_email) {
                Outcome::OverAddressLimit
            } else {
                *mailed += 1;
                Outcome::Queued
            }
        };
        if outcome == Outcome::Queued {
            let sent = per_network.entry(pending.network.clone()).or_default();
            // Capped here too: a flood arrives in batches of hundreds.
            let rank = Ord::min(*sent, outbox::RANK_CAP.try_into().unwrap_or(i64::MAX));
            ranks.push(i32::try_from(rank).unwrap_or(i32::MAX));
            *sent += 1;
        }
        outcomes.push(outcome);
        rows.push(pending.row(outcome == Outcome::Queued, rules.login_max_age));
    }
    if rows.is_empty() {
        return Ok(outcomes.into_iter().map(|outcome| Written { outcome, id: None }).collect());
    }

    let ids: HashMap<String, i64> = sign_in_request::Entity::insert_many(rows)
        .exec_with_returning(txn)
        .await?
        .into_iter()
        .map(|row| (row.handle_hash, row.id))
        .collect();
    let written: Vec<Written> = batch
        .iter()
        .zip(outcomes)
        .map(|(pending, outcome)| Written { outcome, id: ids.get(&pending.handle_hash).copied() })
        .collect();
    // `ranks` holds one entry per queued request, in order.
    let messages: Vec<outbox_message::ActiveModel> = batch
        .iter()
        .zip(&written)
        .filter(|(_, w)| w.outcome == Outcome::Queued)
        .zip(ranks)
        .filter_map(|((pending, w), rank)| {
            let mut message =
                outbox::new_message(outbox_message::SIGN_IN, w.id?, &pending.email, pending.now);
            message.fair_rank = Set(rank);
            message.network = Set(Some(pending.network.clone()));
            Some(message)
        })
        .collect();
    if !messages.is_empty() {
        outbox_message::Entity::insert_many(messages).exec_without_returning(txn).await?;
    }
    Ok(written)
}
