//! The generated "account activity report": a background job fills a report with the
//! owner's security events of the last 30 days (a per-day chart, drawn as inline SVG, and
//! the data table behind it) and the live links and shares with their opens, then emails
//! the owner a report link to it.
//!
//! Asking creates the report (with a "being built" body) and its job in one transaction,
//! so the report's page can show the job's state from the first moment. The job queue
//! (`jobs`) makes the build survive a restart and run once across instances; the result,
//! the job's "ready" and the email are written in one transaction, conditional on the claim.

mod render;
mod tally;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sea_orm::{
    ColumnTrait as _, DbErr, EntityTrait as _, QueryFilter as _, QueryOrder as _,
    TransactionTrait as _,
};
use tokio::sync::Notify;

use crate::entities::job::{self, ACTIVITY_REPORT};
use crate::entities::{security_event, user};
use crate::services::activity::{self, ACTIVITY_REPORT_ASKED, Event, Origin};
use crate::services::reports::Reports;
use crate::services::shares::Shares;
use crate::services::time::unix_secs;
use crate::services::{Db, db, jobs, reports, shares};

/// Reports an account may ask for per 24 hours.
pub const PER_DAY: u64 = 5;
/// A build takes well under a second; a claim this long outlives any of them.
const LEASE: Duration = Duration::from_secs(60);
/// What the report says until the job fills it in.
const BEING_BUILT: &str = "<p>This report is being built.</p>";

/// The activity-report feature. Cheap to clone.
#[derive(Clone)]
pub struct ActivityReports {
    db: Db,
    reports: Reports,
    shares: Shares,
    /// Poked when a job is queued, so the worker need not wait for its next poll.
    pub jobs_queued: Arc<Notify>,
    mail_queued: Arc<Notify>,
}

impl ActivityReports {
    pub(crate) fn new(db: Db, reports: Reports, shares: Shares, mail_queued: Arc<Notify>) -> Self {
        Self { db, reports, shares, jobs_queued: Arc::new(Notify::new()), mail_queued }
    }
}

/// What became of "generate an activity report".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requested {
    /// The report exists, and its job is queued.
    Queued { report_id: i64 },
    /// One is being built already: that report.
    Busy { report_id: i64 },
    /// Over [`PER_DAY`].
    OverLimit,
}

/// Creates the report and queues its job, and records the asking (which the daily limit
/// counts: deleting a report must not give its place back).
pub async fn request(
    activity: &ActivityReports,
    owner: &user::Model,
    origin: &Origin,
    now: SystemTime,
) -> Result<Requested, DbErr> {
    let txn = db::begin_for_limits(&activity.db.write, None).await?;
    // One unfinished at a time, exactly, across instances (see `lock_for_limits`).
    db::lock_for_limits(&txn, [format!("activity-reports:{}", owner.id)]).await?;
    if let Some(report_id) = jobs::unfinished_of(&txn, owner.id, ACTIVITY_REPORT).await? {
        return Ok(Requested::Busy { report_id });
    }
    let since = now - Duration::from_secs(86_400);
    if activity::count_since(&txn, owner.id, ACTIVITY_REPORT_ASKED, since).await? >= PER_DAY {
        return Ok(Requested::OverLimit);
    }
    activity::record_all(&txn, [(owner.id, &Event::ActivityReportAsked, origin)], now).await?;
    let title = format!(
        "Account activity, {}",
        chrono::DateTime::from_timestamp(unix_secs(now), 0)
            .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string())
    );
    let report = reports::create_generated(&txn, owner.id, &title, BEING_BUILT, now).await?;
    jobs::enqueue(&txn, ACTIVITY_REPORT, owner.id, report.id, now).await?;
    txn.commit().await?;
    activity.jobs_queued.notify_one();
    Ok(Requested::Queued { report_id: report.id })
}

/// Where a generated report's job is, for its page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Building,
    Ready,
    Failed,
}

/// The state of the job behind report `report_id`; `None` for a report people wrote.
pub async fn state(activity: &ActivityReports, report_id: i64) -> Result<Option<JobState>, DbErr> {
    Ok(jobs::of_report(&activity.db.read, report_id).await?.map(|found| {
        match found.status.as_str() {
            job::QUEUED => JobState::Queued,
            job::BUILDING => JobState::Building,
            job::READY => JobState::Ready,
            _ => JobState::Failed,
        }
    }))
}

/// Claims one due job and runs it. Returns whether there was one, so the worker knows
/// to look again at once.
pub async fn run_due(activity: &ActivityReports, now: SystemTime) -> Result<bool, DbErr> {
    let Some(claimed) = jobs::claim_due(&activity.db.write, now, LEASE).await? else {
        return Ok(false);
    };
    let built = match claimed.kind.as_str() {
        ACTIVITY_REPORT => build(activity, &claimed, now).await,
        other => Err(DbErr::Custom(format!("unknown kind of job {other:?}"))),
    };
    match built {
        Ok(true) => tracing::info!(job = claimed.id, report = claimed.report_id, "report built"),
        Ok(false) => tracing::warn!(job = claimed.id, "job's claim ran out; its result dropped"),
        Err(error) => {
            tracing::warn!(job = claimed.id, attempts = claimed.attempts, %error, "job failed");
            jobs::retry_later(&activity.db.write, &claimed, &error.to_string(), now).await?;
        }
    }
    Ok(true)
}

/// Builds the report and, in one transaction conditional on the claim, stores it, marks the
/// job ready and queues the owner's email. False if the claim was lost meanwhile.
async fn build(
    activity: &ActivityReports,
    claimed: &job::Model,
    now: SystemTime,
) -> Result<bool, DbErr> {
    let db = &activity.db.read;
    let owner = user::Entity::find_by_id(claimed.user_id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::Custom("the report's owner is gone".into()))?;
    let now_secs = unix_secs(now);
    let events = security_event::Entity::find()
        .filter(security_event::Column::UserId.eq(owner.id))
        .filter(security_event::Column::CreatedAt.gte(tally::first_day_start(now_secs)))
        .order_by_asc(security_event::Column::CreatedAt)
        .all(db)
        .await?;
    let days = tally::per_day(&events, now_secs);
    let links = reports::live_links_of_owner(&activity.reports, owner.id, now).await?;
    let live_shares = shares::live_of_owner(&activity.shares, owner.id, now).await?;
    let live = render::Live {
        report_links: links.len(),
        report_link_opens: links.iter().map(|(link, _, _)| link.opens).sum(),
        shares: live_shares.len(),
        share_opens_people: live_shares.iter().map(|s| s.opens_people).sum(),
        share_opens_automated: live_shares.iter().map(|s| s.opens_automated).sum(),
    };
    let html = render::html(&owner.email, &days, live);

    let txn = activity.db.write.begin().await?;
    if !jobs::finish(&txn, claimed, now).await? {
        return Ok(false);
    }
    reports::fill_generated(&txn, claimed.report_id, &html, now).await?;
    if owner.status == user::ACTIVE {
        reports::queue_link_email(&txn, &owner, claimed.report_id, now).await?;
    }
    txn.commit().await?;
    activity.mail_queued.notify_one();
    Ok(true)
}
