//! Background tasks that run beside the HTTP server, in every instance. Each is safe to run
//! concurrently on several instances: they coordinate through the database only.

pub mod jobs;
pub mod mail_delivery;
pub mod purge;
pub mod wal_checkpoint;

use std::future::Future;
use std::time::Duration;

/// Runs the worker that `start` builds, and starts it again whenever it panics (logged),
/// so one bad message or job cannot stop delivery for good. Returns when the worker does;
/// dropping (aborting) this future stops the worker too.
pub async fn supervised<F, Fut>(name: &'static str, mut start: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        // A JoinSet aborts its task when dropped, so aborting us aborts the worker.
        let mut running = tokio::task::JoinSet::new();
        running.spawn(start());
        match running.join_next().await {
            Some(Err(error)) if error.is_panic() => {
                tracing::error!(worker = name, "worker panicked; starting it again in a second");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_panicking_worker_is_started_again() {
        let starts = Arc::new(AtomicU32::new(0));
        let counted = starts.clone();
        let run = supervised("test", move || {
            let starts = counted.clone();
            async move {
                if starts.fetch_add(1, Ordering::SeqCst) < 2 {
                    panic!("a bad message");
                }
            }
        });
        tokio::time::timeout(Duration::from_secs(10), run).await.expect("restarted, then done");
        assert_eq!(starts.load(Ordering::SeqCst), 3);
    }
}
