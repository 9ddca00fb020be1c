//! Group commit: one task writes whatever jobs are waiting, together.
//!
//! On SQLite every statement is a round trip to the connection's own thread, and every
//! write queues for the one writer connection, so written one request at a time the round
//! trips, not the SQL, set the pace. A [`Batch`] turns any number of waiting jobs into a
//! fixed handful of statements (multi-row inserts, `IN (…)` updates). Alone, a job is a
//! batch of one and pays nothing extra; under load batches grow and the cost per job falls.

use std::future::Future;
use std::sync::Arc;

use sea_orm::DbErr;
use tokio::sync::{mpsc, oneshot};

/// More would hold the writer for long; fewer would waste round trips.
const MAX_BATCH: usize = 256;
/// Jobs waiting beyond this make callers wait to enqueue (backpressure, not memory).
const QUEUE: usize = 4096;

/// How to write several jobs at once.
pub trait Batch: Send + Sync + 'static {
    type Job: Send + 'static;
    type Done: Send + 'static;

    /// Writes `jobs` (in arrival order) and answers each, in the same order. An error fails
    /// the whole batch, so it must leave nothing of it written (one transaction).
    fn write(
        &self,
        jobs: Vec<Self::Job>,
    ) -> impl Future<Output = Result<Vec<Self::Done>, DbErr>> + Send;
}

type Reply<T> = oneshot::Sender<Result<T, Arc<str>>>;

/// The handle jobs are submitted through. Cheap to clone; the writing task ends once every
/// handle is dropped.
pub struct GroupCommit<B: Batch> {
    jobs: mpsc::Sender<(B::Job, Reply<B::Done>)>,
}

impl<B: Batch> Clone for GroupCommit<B> {
    fn clone(&self) -> Self {
        Self { jobs: self.jobs.clone() }
    }
}

impl<B: Batch> std::fmt::Debug for GroupCommit<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(std::any::type_name::<Self>())
    }
}

impl<B: Batch> GroupCommit<B> {
    /// Spawns the writing task on the current Tokio runtime.
    pub fn start(batch: B) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(run(queue, Arc::new(batch)));
        Self { jobs }
    }

    /// Queues `job` and waits for its batch to be written.
    pub async fn submit(&self, job: B::Job) -> Result<B::Done, DbErr> {
        let (reply, answer) = oneshot::channel();
        let gone = || DbErr::Custom("the group-commit writer has stopped".to_owned());
        self.jobs.send((job, reply)).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?.map_err(|e| DbErr::Custom(e.to_string()))
    }
}

async fn run<B: Batch>(mut queue: mpsc::Receiver<(B::Job, Reply<B::Done>)>, batch: Arc<B>) {
    let mut waiting = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut waiting, MAX_BATCH).await > 0 {
        let (jobs, replies): (Vec<_>, Vec<_>) = waiting.drain(..).unzip();
        let expected = jobs.len();
        let writer = batch.clone();
        // Its own task: a panic while writing fails this batch, not every later one.
        let written: Result<_, Arc<str>> =
            match tokio::spawn(async move { writer.write(jobs).await }).await {
                Ok(Ok(done)) if done.len() == expected => Ok(done),
                Ok(Ok(_)) => Err(Arc::from("a batch answered the wrong number of jobs")),
                Ok(Err(error)) => Err(Arc::from(error.to_string())),
                Err(panic) => Err(Arc::from(format!("a batch write panicked: {panic}"))),
            };
        match written {
            Ok(done) => {
                for (reply, done) in replies.into_iter().zip(done) {
                    let _ = reply.send(Ok(done));
                }
            }
            Err(error) => {
                tracing::error!(%error, jobs = expected, "group commit failed; nothing was written");
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Doubles numbers; fails any batch containing 13.
    struct Doubler;

    impl Batch for Doubler {
        type Job = u32;
        type Done = (u32, usize);

        async fn write(&self, jobs: Vec<u32>) -> Result<Vec<(u32, usize)>, DbErr> {
            if jobs.contains(&13) {
                return Err(DbErr::Custom("unlucky".into()));
            }
            let size = jobs.len();
            Ok(jobs.into_iter().map(|n| (n * 2, size)).collect())
        }
    }

    #[tokio::test]
    async fn answers_each_job_and_batches_under_load() {
        let writer = GroupCommit::start(Doubler);
        let tasks: Vec<_> = (100..300u32)
            .map(|n| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.submit(n).await })
            })
            .collect();
        let mut largest = 0;
        for (n, task) in (100..300u32).zip(tasks) {
            let (doubled, size) = task.await.unwrap().unwrap();
            assert_eq!(doubled, n * 2);
            largest = largest.max(size);
        }
        assert!(largest > 1, "concurrent jobs should share a batch");
    }

    #[tokio::test]
    async fn a_failed_batch_fails_its_jobs_only() {
        let writer = GroupCommit::start(Doubler);
        assert!(writer.submit(13).await.is_err());
        assert_eq!(writer.submit(4).await.unwrap(), (8, 1));
    }
}
