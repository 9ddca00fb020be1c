//! Runs the database's job queue (see `app::services::jobs`): one job at a time, so a
//! burst of requests for reports takes its turn instead of the server's CPU.

use std::time::{Duration, SystemTime};

use app::services::{Services, activity_report};

/// Jobs queued by other instances, and retries coming due, are found at least this often.
const POLL: Duration = Duration::from_secs(1);

pub async fn run(services: Services) {
    tracing::info!("job worker started");
    let activity = &services.activity_reports;
    loop {
        let ran = match activity_report::run_due(activity, SystemTime::now()).await {
            Ok(ran) => ran,
            Err(error) => {
                tracing::warn!(%error, "job worker: database error; retrying shortly");
                false
            }
        };
        if !ran {
            // Woken early when a request queues a job.
            let _ = tokio::time::timeout(POLL, activity.jobs_queued.notified()).await;
        }
    }
}
