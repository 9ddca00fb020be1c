//! The writer: one task that writes whatever sign-in's hot paths have waiting (requests,
//! spent links and the sessions they start) in one transaction, by group commit (see
//! `batcher`).
//!
//! SQLite admits one writer at a time, and every statement is a round trip to its
//! connection's thread: several writers, even batched ones, would queue for that connection
//! and each pay their own BEGIN and COMMIT. One writer for all pays them once per round, and
//! each kind of job is one or two multi-row statements whatever the batch size. On
//! PostgreSQL the same batching saves round trips over the network.

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbErr, SqliteTransactionMode};
use tokens::Rejection;
use tokio::sync::Notify;

use super::redeem::{self, Spend};
use super::requests::{self, Outcome, Pending, SignInRules, Written};
use super::signed_in::SignedIn;
use crate::services::batcher::{Batch, Batcher, Placement};
use crate::services::db;

/// A write the writer takes.
pub enum Job {
    /// Record a sign-in request and, within the limits, queue its email.
    SignInRequest(Pending),
    /// Spend a checked sign-in link and sign its holder in.
    SpendLink(Box<Spend>),
}

/// What became of a [`Job`], of the same kind.
pub enum Done {
    SignInRequest(Written),
    SpendLink(Result<SignedIn, Rejection>),
}

/// The handle writes are submitted through. Cheap to clone.
pub type Writer = Batcher<Writes>;

/// Starts the writer, writing through `write`.
pub(super) fn start(
    write: DatabaseConnection,
    rules: SignInRules,
    mail_queued: Arc<Notify>,
    placement: Placement,
) -> Writer {
    Batcher::start(Writes { write, rules, mail_queued }, placement)
}

pub struct Writes {
    write: DatabaseConnection,
    rules: SignInRules,
    /// Poked when a message is queued, so the mail worker need not wait for its next poll.
    mail_queued: Arc<Notify>,
}

impl Batch for Writes {
    type Job = Job;
    type Done = Done;

    async fn run(&self, jobs: &[Job]) -> Result<Vec<Done>, DbErr> {
        let mut kinds = Vec::with_capacity(jobs.len());
        let (mut requests, mut spends) = (Vec::new(), Vec::new());
        for job in jobs {
            kinds.push(match job {
                Job::SignInRequest(pending) => {
                    requests.push(pending);
                    Kind::SignInRequest
                }
                Job::SpendLink(spend) => {
                    spends.push(&**spend);
                    Kind::SpendLink
                }
            });
        }
        // IMMEDIATE: on SQLite, take the write lock now rather than at the first write, so
        // a batch that reads first (the rate limits) waits for another process's write
        // instead of failing with SQLITE_BUSY on upgrading. Ignored elsewhere.
        let immediate = Some(SqliteTransactionMode::Immediate);
        let txn = db::begin_for_limits(&self.write, immediate).await?;
        let requests = requests::write(&txn, &self.rules, &requests).await?;
        let idle = self.rules.settings.session_idle;
        let spends = redeem::spend(&txn, &spends, idle, self.rules.address_kept_for).await?;
        txn.commit().await?;
        if requests.iter().any(|w| w.outcome == Outcome::Queued) {
            self.mail_queued.notify_one();
        }

        // Back in arrival order.
        let mut requests = requests.into_iter().map(Done::SignInRequest);
        let mut spends = spends.into_iter().map(Done::SpendLink);
        kinds
            .into_iter()
            .map(|kind| {
                let done = match kind {
                    Kind::SignInRequest => requests.next(),
                    Kind::SpendLink => spends.next(),
                };
                done.ok_or_else(|| DbErr::Custom("a kind of write answered too few jobs".into()))
            })
            .collect()
    }
}

#[derive(Clone, Copy)]
enum Kind {
    SignInRequest,
    SpendLink,
}

/// Typed submission: each kind of job gets its own kind of answer.
impl Writer {
    pub(super) async fn sign_in_request(&self, pending: Pending) -> Result<Written, DbErr> {
        match self.submit(Job::SignInRequest(pending)).await? {
            Done::SignInRequest(written) => Ok(written),
            _ => Err(mismatch()),
        }
    }

    pub(super) async fn spend_link(
        &self,
        spend: Spend,
    ) -> Result<Result<SignedIn, Rejection>, DbErr> {
        match self.submit(Job::SpendLink(Box::new(spend))).await? {
            Done::SpendLink(spent) => Ok(spent),
            _ => Err(mismatch()),
        }
    }
}

fn mismatch() -> DbErr {
    DbErr::Custom("the writer answered a job with another kind of answer".into())
}
