//! Batching: one task takes whatever jobs are waiting and handles them together.
//!
//! On SQLite every statement is a round trip to the connection's own thread, and every
//! write queues for the one writer connection, so handled one request at a time the round
//! trips, not the SQL, set the pace. A [`Batch`] turns any number of waiting jobs into a
//! fixed handful of statements (multi-row inserts, `IN (…)` queries). Alone, a job is a
//! batch of one and pays nothing extra; under load batches grow and the cost per job falls.
//! Writes batched this way are group commit: one transaction for many requests.
//!
//! A batch that fails must not fail everyone in it for one bad or unlucky job: a batch the
//! database turned down for now (SQLite busy, a PostgreSQL deadlock or serialisation
//! failure) is tried again, after a wait that doubles each time and is jittered (so that
//! batches that failed together do not try again together), and one that fails otherwise
//! is split in halves, each tried on its own, down to the job that fails alone. Halves run
//! in order, so the jobs are still handled in arrival order. A database still busy after
//! the retries, or unreachable, fails the batch as a whole: its parts would fail the same
//! way.

use std::future::Future;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::DbErr;
use tokio::sync::{mpsc, oneshot};

use crate::services::db;

/// More would hold the writer for long; fewer would waste round trips.
const MAX_BATCH: usize = 256;
/// Jobs waiting beyond this make callers wait to enqueue (backpressure, not memory).
const QUEUE: usize = 4096;
/// Tries after the first for a batch failing on a transient database error, 10 ms apart,
/// then 20 and 40: a lock held by another instance is usually gone by then.
const RETRIES: u32 = 3;
const FIRST_RETRY: Duration = Duration::from_millis(10);

/// How to handle several jobs at once.
pub trait Batch: Send + Sync + 'static {
    type Job: Send + Sync + 'static;
    type Done: Send + 'static;

    /// Handles `jobs` (in arrival order) and answers each, in the same order. An error fails
    /// the whole batch, so a batch that writes must leave nothing of it written (one
    /// transaction): it may be run again, whole or in parts.
    fn run(
        &self,
        jobs: &[Self::Job],
    ) -> impl Future<Output = Result<Vec<Self::Done>, DbErr>> + Send;
}

type Reply<T> = oneshot::Sender<Result<T, Arc<str>>>;

/// The handle jobs are submitted through. Cheap to clone; the batching task ends once every
/// handle is dropped.
pub struct Batcher<B: Batch> {
    jobs: mpsc::Sender<(B::Job, Reply<B::Done>)>,
}

impl<B: Batch> Clone for Batcher<B> {
    fn clone(&self) -> Self {
        Self { jobs: self.jobs.clone() }
    }
}

impl<B: Batch> std::fmt::Debug for Batcher<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(std::any::type_name::<Self>())
    }
}

/// Where a batching task runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// On the current Tokio runtime, among the request tasks.
    Shared,
    /// On a thread and runtime of its own. Each round trip of a batch ends with its task
    /// being woken by the connection's thread; on the shared runtime such a wake-up waits
    /// in the global queue until a worker looks there, behind the request tasks, every time.
    /// A thread of its own is woken at once (measured: about 15% more sign-ins per second
    /// on SQLite). For SQLite only, whose connections are threads of their own: a
    /// PostgreSQL connection's socket belongs to the runtime that opened it.
    OwnThread,
}

impl Placement {
    /// Where batchers writing to or reading from `backend` run best.
    pub fn for_backend(backend: sea_orm::DbBackend) -> Self {
        match backend {
            sea_orm::DbBackend::Sqlite => Self::OwnThread,
            _ => Self::Shared,
        }
    }
}

impl<B: Batch> Batcher<B> {
    /// Spawns the batching task where `placement` says (from within a Tokio runtime).
    pub fn start(batch: B, placement: Placement) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let task = serve(queue, Arc::new(batch));
        let runtime = match placement {
            Placement::OwnThread => own_runtime()
                .inspect_err(|error| tracing::warn!(%error, "batching on the shared runtime"))
                .ok(),
            Placement::Shared => None,
        };
        match runtime {
            Some(runtime) => {
                // Like the runtime's own worker threads: a process that cannot start a
                // thread at start-up cannot serve either.
                std::thread::Builder::new()
                    .name(format!("batcher-{}", short_name::<B>()))
                    .spawn(move || runtime.block_on(task))
                    .expect("the OS refused a thread for a batching task");
            }
            None => drop(tokio::spawn(task)),
        }
        Self { jobs }
    }

    /// Queues `job` and waits for its batch to be handled.
    pub async fn submit(&self, job: B::Job) -> Result<B::Done, DbErr> {
        let (reply, answer) = oneshot::channel();
        let gone = || DbErr::Custom("a batching task has stopped".to_owned());
        self.jobs.send((job, reply)).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?.map_err(|e| DbErr::Custom(e.to_string()))
    }
}

fn own_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()
}

/// The batch type's name without its path, for the thread's name.
fn short_name<B>() -> &'static str {
    let name = std::any::type_name::<B>();
    name.rsplit("::").next().unwrap_or(name)
}

async fn serve<B: Batch>(mut queue: mpsc::Receiver<(B::Job, Reply<B::Done>)>, batch: Arc<B>) {
    let mut waiting = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut waiting, MAX_BATCH).await > 0 {
        // A caller that has gone (its request was cancelled) would never learn the outcome:
        // do not spend a link, or start a session, that nobody receives.
        waiting.retain(|(_, reply)| !reply.is_closed());
        if waiting.is_empty() {
            continue;
        }
        let (jobs, replies): (Vec<_>, Vec<_>) = waiting.drain(..).unzip();
        let answers = settle(&batch, &jobs.into()).await;
        for (reply, answer) in replies.into_iter().zip(answers) {
            let _ = reply.send(answer);
        }
    }
}

/// Handles `jobs` and answers each: the whole batch if it succeeds, else its halves apart,
/// depth first so that the jobs are still handled in arrival order.
async fn settle<B: Batch>(batch: &Arc<B>, jobs: &Arc<[B::Job]>) -> Vec<Result<B::Done, Arc<str>>> {
    let mut answers: Vec<Option<Result<B::Done, Arc<str>>>> =
        std::iter::repeat_with(|| None).take(jobs.len()).collect();
    let mut ranges = vec![0..jobs.len()];
    while let Some(range) = ranges.pop() {
        match attempt(batch, jobs, range.clone()).await {
            Ok(done) => {
                for (slot, done) in answers[range].iter_mut().zip(done) {
                    *slot = Some(Ok(done));
                }
            }
            Err(failure) if failure.splittable && range.len() > 1 => {
                tracing::warn!(error = %failure.error, jobs = range.len(), "a batch failed; trying its halves apart");
                let middle = range.start + range.len() / 2;
                ranges.push(middle..range.end);
                ranges.push(range.start..middle);
            }
            Err(failure) => {
                tracing::error!(error = %failure.error, jobs = range.len(), "a batch failed");
                for slot in &mut answers[range] {
                    *slot = Some(Err(failure.error.clone()));
                }
            }
        }
    }
    let unanswered = || Err(Arc::from("a job of a batch was left unanswered"));
    answers.into_iter().map(|answer| answer.unwrap_or_else(unanswered)).collect()
}

/// Why an attempt failed, and whether trying its parts apart could help.
struct Failure {
    error: Arc<str>,
    splittable: bool,
}

/// Runs the jobs in `range` as one batch, again after a transient database error.
async fn attempt<B: Batch>(
    batch: &Arc<B>,
    jobs: &Arc<[B::Job]>,
    range: Range<usize>,
) -> Result<Vec<B::Done>, Failure> {
    let expected = range.len();
    let mut wait = FIRST_RETRY;
    let mut tries = 0;
    loop {
        let (handler, jobs, range) = (batch.clone(), jobs.clone(), range.clone());
        // Its own task: a panic while handling fails this attempt, not every later batch.
        let handled = tokio::spawn(async move { handler.run(&jobs[range]).await }).await;
        let error = match handled {
            Ok(Ok(done)) if done.len() == expected => return Ok(done),
            Ok(Ok(_)) => {
                let error = Arc::from("a batch answered the wrong number of jobs");
                return Err(Failure { error, splittable: false });
            }
            Ok(Err(error)) if db::is_transient(&error) && tries < RETRIES => error,
            Ok(Err(error)) => {
                // Parts apart can get past a job that fails alone (a constraint, bad data),
                // not a database still busy after the retries, or gone: that would fail
                // every part the same way, each after waits of its own, while the writer
                // holds everyone else's jobs.
                let splittable = !db::is_transient(&error) && !db::is_unreachable(&error);
                return Err(Failure { error: Arc::from(error.to_string()), splittable });
            }
            Err(panic) => {
                let error = Arc::from(format!("a batch panicked: {panic}"));
                return Err(Failure { error, splittable: true });
            }
        };
        tracing::debug!(%error, tries, "a batch met a transient database error; trying again");
        tokio::time::sleep(jittered(wait)).await;
        wait *= 2;
        tries += 1;
    }
}

/// `wait` times a random factor in [0.5, 1.5): batches that failed together (a deadlock's
/// two sides, instances behind one busy database) try again apart.
fn jittered(wait: Duration) -> Duration {
    let mut random = [0u8; 1];
    // Without randomness, the plain wait.
    if getrandom::fill(&mut random).is_err() {
        return wait;
    }
    wait.mul_f64(0.5 + f64::from(random[0]) / 256.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_half_to_one_and_a_half_times_as_long() {
        let wait = Duration::from_millis(40);
        let waits: Vec<Duration> = (0..200).map(|_| jittered(wait)).collect();
        assert!(waits.iter().all(|w| *w >= wait / 2 && *w < wait * 3 / 2), "{waits:?}");
        assert!(waits.iter().any(|w| *w != waits[0]), "they differ");
    }

    /// Doubles numbers; fails any batch containing 13.
    struct Doubler;

    impl Batch for Doubler {
        type Job = u32;
        type Done = (u32, usize);

        async fn run(&self, jobs: &[u32]) -> Result<Vec<(u32, usize)>, DbErr> {
            if jobs.contains(&13) {
                return Err(DbErr::Custom("unlucky".into()));
            }
            if jobs.contains(&666) {
                panic!("cursed");
            }
            let size = jobs.len();
            Ok(jobs.iter().map(|n| (n * 2, size)).collect())
        }
    }

    #[tokio::test]
    async fn answers_each_job_and_batches_under_load() {
        let doubler = Batcher::start(Doubler, Placement::Shared);
        let tasks: Vec<_> = (100..300u32)
            .map(|n| {
                let doubler = doubler.clone();
                tokio::spawn(async move { doubler.submit(n).await })
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

    /// A failing batch is split until the job that fails is alone: the others in it are
    /// answered, in order, whether the bad job errs or panics.
    #[tokio::test]
    async fn one_bad_job_fails_alone() {
        let doubler = Arc::new(Doubler);
        let jobs: Arc<[u32]> = vec![1, 2, 13, 4, 5, 666, 7].into();
        let answers = settle(&doubler, &jobs).await;
        let doubled: Vec<Option<u32>> =
            answers.iter().map(|a| a.as_ref().ok().map(|(n, _)| *n)).collect();
        assert_eq!(doubled, [Some(2), Some(4), None, Some(8), Some(10), None, Some(14)]);
        assert!(answers[2].as_ref().is_err_and(|e| e.contains("unlucky")));
        assert!(answers[5].as_ref().is_err_and(|e| e.contains("panicked")));
    }

    /// Its connection breaks on every batch (say, during the COMMIT).
    struct Broken(std::sync::atomic::AtomicUsize);

    impl Batch for Broken {
        type Job = u32;
        type Done = u32;

        async fn run(&self, _: &[u32]) -> Result<Vec<u32>, DbErr> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
            let error = sea_orm::sqlx::Error::Io(reset);
            Err(DbErr::Query(sea_orm::RuntimeErr::SqlxError(Arc::new(error))))
        }
    }

    /// A broken connection leaves the batch's outcome unknown: it is neither tried again
    /// nor in parts (either might write it twice), but answered at once, all of it.
    #[tokio::test]
    async fn a_broken_connection_is_neither_retried_nor_split_for() {
        let broken = Arc::new(Broken(0.into()));
        let jobs: Arc<[u32]> = (0..8).collect::<Vec<_>>().into();
        let answers = settle(&broken, &jobs).await;
        assert!(answers.iter().all(Result::is_err));
        assert_eq!(broken.0.load(std::sync::atomic::Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn a_failed_batch_fails_its_jobs_only_wherever_it_runs() {
        for placement in [Placement::Shared, Placement::OwnThread] {
            let doubler = Batcher::start(Doubler, placement);
            assert!(doubler.submit(13).await.is_err());
            assert_eq!(doubler.submit(4).await.unwrap(), (8, 1));
        }
    }
}
