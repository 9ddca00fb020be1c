//! Group commit for sign-in requests. Each request is a few statements in a transaction,
//! and on SQLite every statement is a round trip to the connection's thread, behind one
//! writer: done one request at a time, the round trips, not the work, set the pace. One
//! task takes whatever requests are waiting and writes them in a single transaction, with
//! one query per rate limit and one multi-row insert per table, whatever the batch size.
//! Alone, a request is a batch of one; under load, batches grow and the cost per request
//! falls. The limits are applied in arrival order, exactly as if written one by one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ColumnTrait as _, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait as _,
    QueryFilter as _, QuerySelect as _, Set, TransactionTrait as _,
};
use tokio::sync::{Notify, mpsc, oneshot};

use crate::domain::NextPath;
use crate::entities::{outbox_message, sign_in_request};
use crate::services::SignInSettings;
use crate::services::sign_in::Outcome;
use crate::services::time::{secs, unix_secs};

/// More would make one transaction hold the writer for long; fewer would waste round trips.
const MAX_BATCH: usize = 256;
/// Requests waiting beyond this make callers wait to enqueue (backpressure, not memory).
const QUEUE: usize = 4096;

/// A request as the writer needs it.
pub(crate) struct Pending {
    pub handle_hash: String,
    /// Normalised address, or the input as typed when it did not parse.
    pub email: String,
    pub valid_address: bool,
    pub client_ip: String,
    pub user_agent: String,
    pub next: Option<NextPath>,
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
            ..Default::default()
        }
    }
}

/// What became of one request: its outcome and, when recorded, its row id.
pub(crate) struct Written {
    pub outcome: Outcome,
    pub id: Option<i64>,
}

struct Job {
    pending: Pending,
    reply: oneshot::Sender<Result<Written, String>>,
}

/// The handle requests are submitted through. Cheap to clone.
#[derive(Clone)]
pub struct RequestWriter {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for RequestWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestWriter")
    }
}

impl RequestWriter {
    /// Spawns the writing task (on the current Tokio runtime). It ends once every handle
    /// is dropped.
    pub fn start(
        db: DatabaseConnection,
        settings: Arc<SignInSettings>,
        login_max_age: Duration,
        mail_queued: Arc<Notify>,
    ) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(run(queue, Batcher { db, settings, login_max_age, mail_queued }));
        Self { jobs }
    }

    pub(crate) async fn write(&self, pending: Pending) -> Result<Written, DbErr> {
        let (reply, answer) = oneshot::channel();
        let gone = || DbErr::Custom("the sign-in request writer has stopped".to_owned());
        self.jobs.send(Job { pending, reply }).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?.map_err(DbErr::Custom)
    }
}

struct Batcher {
    db: DatabaseConnection,
    settings: Arc<SignInSettings>,
    login_max_age: Duration,
    mail_queued: Arc<Notify>,
}

async fn run(mut queue: mpsc::Receiver<Job>, batcher: Batcher) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let pending: Vec<&Pending> = jobs.iter().map(|j| &j.pending).collect();
        match batcher.write(&pending).await {
            Ok(written) => {
                if written.iter().any(|w| w.outcome == Outcome::Queued) {
                    batcher.mail_queued.notify_one();
                }
                for (job, written) in jobs.drain(..).zip(written) {
                    let _ = job.reply.send(Ok(written));
                }
            }
            Err(error) => {
                // The whole batch rolled back; each caller reports the failure.
                for job in jobs.drain(..) {
                    let _ = job.reply.send(Err(error.to_string()));
                }
            }
        }
    }
}

/// Requests per value of `key` (client IP or address) since `since`, counting only those
/// whose `mailed` matches when given: one grouped query for the whole batch.
async fn recent_counts<'a>(
    txn: &DatabaseTransaction,
    key: sign_in_request::Column,
    values: impl Iterator<Item = &'a str>,
    since: i64,
    mailed: Option<bool>,
) -> Result<HashMap<String, i64>, DbErr> {
    use sign_in_request::Column as C;
    let values: Vec<&str> = values.collect();
    if values.is_empty() {
        return Ok(HashMap::new());
    }
    let mut query = sign_in_request::Entity::find()
        .select_only()
        .column(key)
        .column_as(Expr::col(C::Id).count(), "n")
        .filter(key.is_in(values))
        .filter(C::CreatedAt.gt(since));
    if let Some(mailed) = mailed {
        query = query.filter(C::Mailed.eq(mailed));
    }
    let counts = query.group_by(key).into_tuple::<(String, i64)>().all(txn).await?;
    Ok(counts.into_iter().collect())
}

impl Batcher {
    async fn write(&self, batch: &[&Pending]) -> Result<Vec<Written>, DbErr> {
        use sign_in_request::Column as C;
        let window = secs(self.settings.rate_window);
        let earliest = batch.iter().map(|p| unix_secs(p.now)).min().unwrap_or_default();
        let since = earliest - window;
        let txn = self.db.begin().await?;

        let ips = batch.iter().map(|p| p.client_ip.as_str());
        let mut per_ip = recent_counts(&txn, C::ClientIp, ips, since, None).await?;
        let emails = batch.iter().filter(|p| p.valid_address).map(|p| p.email.as_str());
        let mut per_email = recent_counts(&txn, C::Email, emails, since, Some(true)).await?;

        // In arrival order, as if each had been written alone.
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut rows = Vec::new();
        for pending in batch {
            let from_ip = per_ip.entry(pending.client_ip.clone()).or_default();
            if *from_ip >= i64::from(self.settings.per_ip) {
                outcomes.push(Outcome::OverIpLimit);
                continue;
            }
            *from_ip += 1;
            let outcome = if !pending.valid_address {
                Outcome::InvalidAddress
            } else {
                let mailed = per_email.entry(pending.email.clone()).or_default();
                if *mailed >= i64::from(self.settings.per_email) {
                    Outcome::OverAddressLimit
                } else {
                    *mailed += 1;
                    Outcome::Queued
                }
            };
            outcomes.push(outcome);
            rows.push(pending.row(outcome == Outcome::Queued, self.login_max_age));
        }
        if rows.is_empty() {
            txn.commit().await?;
            return Ok(outcomes.into_iter().map(|outcome| Written { outcome, id: None }).collect());
        }

        sign_in_request::Entity::insert_many(rows).exec_without_returning(&txn).await?;
        let hashes: Vec<&str> = batch.iter().map(|p| p.handle_hash.as_str()).collect();
        let ids: HashMap<String, i64> = sign_in_request::Entity::find()
            .select_only()
            .columns([C::HandleHash, C::Id])
            .filter(C::HandleHash.is_in(hashes))
            .into_tuple::<(String, i64)>()
            .all(&txn)
            .await?
            .into_iter()
            .collect();
        let written: Vec<Written> = batch
            .iter()
            .zip(outcomes)
            .map(|(pending, outcome)| Written {
                outcome,
                id: ids.get(&pending.handle_hash).copied(),
            })
            .collect();
        let messages: Vec<(i64, &str, SystemTime)> = batch
            .iter()
            .zip(&written)
            .filter(|(_, w)| w.outcome == Outcome::Queued)
            .filter_map(|(p, w)| Some((w.id?, p.email.as_str(), p.now)))
            .collect();
        if !messages.is_empty() {
            outbox_message::Entity::insert_many(messages.into_iter().map(|(id, to, now)| {
                crate::services::outbox::new_message(outbox_message::SIGN_IN, id, to, now)
            }))
            .exec_without_returning(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(written)
    }
}
