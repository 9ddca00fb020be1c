//! The writer: one task that writes whatever the hot paths have waiting (sign-in requests,
//! spent links, new sessions) in one transaction, by group commit (see `batcher`).
//!
//! SQLite admits one writer at a time, and every statement is a round trip to its
//! connection's thread: several writers, even batched ones, would queue for that connection
//! and each pay their own BEGIN and COMMIT. One writer for all pays them once per round, and
//! each kind of job is one or two multi-row statements whatever the batch size. On
//! PostgreSQL the same batching saves round trips over the network.

use std::sync::Arc;

use sea_orm::{
    DatabaseConnection, DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait as _,
};
use tokens::Rejection;
use tokio::sync::Notify;

use crate::entities::session;
use crate::services::batcher::{Batch, Batcher, Placement};
use crate::services::link_redemption::{self, Spend};
use crate::services::session_store;
use crate::services::sign_in::{Outcome, SignedIn};
use crate::services::sign_in_requests::{self, Pending, SignInRules, Written};

/// A write the writer takes.
pub enum Job {
    /// Record a sign-in request and, within the limits, queue its email.
    SignInRequest(Pending),
    /// Spend a checked sign-in link and sign its holder in.
    SpendLink(Box<Spend>),
    /// Insert a new session (answers false if its id is taken).
    NewSession(session::Model),
}

/// What became of a [`Job`], of the same kind.
pub enum Done {
    SignInRequest(Written),
    SpendLink(Result<SignedIn, Rejection>),
    NewSession(bool),
}

/// The handle writes are submitted through. Cheap to clone.
pub type Writer = Batcher<Writes>;

/// Starts the writer, writing through `write`.
pub(crate) fn start(
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

    async fn run(&self, jobs: Vec<Job>) -> Result<Vec<Done>, DbErr> {
        let mut kinds = Vec::with_capacity(jobs.len());
        let (mut requests, mut spends, mut sessions) = (Vec::new(), Vec::new(), Vec::new());
        for job in jobs {
            kinds.push(match job {
                Job::SignInRequest(pending) => {
                    requests.push(pending);
                    Kind::SignInRequest
                }
                Job::SpendLink(spend) => {
                    spends.push(*spend);
                    Kind::SpendLink
                }
                Job::NewSession(row) => {
                    sessions.push(row);
                    Kind::NewSession
                }
            });
        }
        // IMMEDIATE: on SQLite, take the write lock now rather than at the first write, so
        // a batch that reads first (the rate limits) waits for another process's write
        // instead of failing with SQLITE_BUSY on upgrading. Ignored elsewhere.
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        let txn = self.write.begin_with_options(options).await?;
        let requests = sign_in_requests::write(&txn, &self.rules, requests).await?;
        let idle = self.rules.settings.session_idle;
        let spends = link_redemption::spend(&txn, spends, idle).await?;
        let sessions = session_store::insert_new(&txn, sessions).await?;
        txn.commit().await?;
        if requests.iter().any(|w| w.outcome == Outcome::Queued) {
            self.mail_queued.notify_one();
        }

        // Back in arrival order.
        let mut requests = requests.into_iter().map(Done::SignInRequest);
        let mut spends = spends.into_iter().map(Done::SpendLink);
        let mut sessions = sessions.into_iter().map(Done::NewSession);
        kinds
            .into_iter()
            .map(|kind| {
                let done = match kind {
                    Kind::SignInRequest => requests.next(),
                    Kind::SpendLink => spends.next(),
                    Kind::NewSession => sessions.next(),
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
    NewSession,
}

/// Typed submission: each kind of job gets its own kind of answer.
impl Writer {
    pub(crate) async fn sign_in_request(&self, pending: Pending) -> Result<Written, DbErr> {
        match self.submit(Job::SignInRequest(pending)).await? {
            Done::SignInRequest(written) => Ok(written),
            _ => Err(mismatch()),
        }
    }

    pub(crate) async fn spend_link(
        &self,
        spend: Spend,
    ) -> Result<Result<SignedIn, Rejection>, DbErr> {
        match self.submit(Job::SpendLink(Box::new(spend))).await? {
            Done::SpendLink(spent) => Ok(spent),
            _ => Err(mismatch()),
        }
    }

    pub(crate) async fn new_session(&self, row: session::Model) -> Result<bool, DbErr> {
        match self.submit(Job::NewSession(row)).await? {
            Done::NewSession(inserted) => Ok(inserted),
            _ => Err(mismatch()),
        }
    }
}

fn mismatch() -> DbErr {
    DbErr::Custom("the writer answered a job with another kind of answer".into())
}
