//! The job queue: jobs are rows, so they survive a restart, and run once across instances.
//!
//! A worker claims a due job with a conditional update that sets a lease; a claim that is
//! neither finished nor retried before its lease ends is taken over by the next claim. The
//! finish is conditional on the claim still being the one it made (status and lease), in
//! the transaction that writes the job's result, so a worker that overran its lease writes
//! nothing: exactly one run's result lands.

use std::time::{Duration, SystemTime};

use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _,
    QueryFilter as _, QueryOrder as _, Set,
};

use crate::entities::job::{self, BUILDING, FAILED, QUEUED, READY};
use crate::services::time::{secs, unix_secs};

/// After this many failed attempts a job is given up.
pub const MAX_ATTEMPTS: i32 = 3;

/// Queues a job for `report_id`, due now. Pass the transaction that creates the report.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    kind: &str,
    user_id: i64,
    report_id: i64,
    now: SystemTime,
) -> Result<job::Model, DbErr> {
    job::ActiveModel {
        kind: Set(kind.to_owned()),
        user_id: Set(user_id),
        report_id: Set(report_id),
        status: Set(QUEUED.to_owned()),
        attempts: Set(0),
        run_after: Set(unix_secs(now)),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(unix_secs(now)),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Claims the oldest due job for `lease`: a queued one whose backoff has passed, or one
/// whose last claim ran out. `None` when nothing is due (or another worker won the race).
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: SystemTime,
    lease: Duration,
) -> Result<Option<job::Model>, DbErr> {
    let now = unix_secs(now);
    // A job whose last allowed claim ran out (its worker died on it) is over.
    job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(FAILED))
        .col_expr(job::Column::LockedUntil, Expr::value(Option::<i64>::None))
        .filter(job::Column::Status.eq(BUILDING))
        .filter(job::Column::LockedUntil.lte(now))
        .filter(job::Column::Attempts.gte(MAX_ATTEMPTS))
        .exec(db)
        .await?;
    let due = || {
        job::Column::Status
            .eq(QUEUED)
            .and(job::Column::RunAfter.lte(now))
            .or(job::Column::Status.eq(BUILDING).and(job::Column::LockedUntil.lte(now)))
    };
    let Some(mut found) = job::Entity::find()
        .filter(due())
        .filter(job::Column::Attempts.lt(MAX_ATTEMPTS))
        .order_by_asc(job::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let locked_until = now + secs(lease);
    let claimed = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(BUILDING))
        .col_expr(job::Column::LockedUntil, Expr::value(locked_until))
        .col_expr(job::Column::Attempts, Expr::col(job::Column::Attempts).add(1))
        .filter(job::Column::Id.eq(found.id))
        .filter(job::Column::Attempts.eq(found.attempts))
        .filter(due())
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(None);
    }
    found.status = BUILDING.to_owned();
    found.locked_until = Some(locked_until);
    found.attempts += 1;
    Ok(Some(found))
}

/// Marks the claimed job ready, in the transaction that writes its result; false if the
/// claim is no longer this worker's (the caller then rolls back).
pub async fn finish(
    db: &impl ConnectionTrait,
    claimed: &job::Model,
    now: SystemTime,
) -> Result<bool, DbErr> {
    let finished = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(READY))
        .col_expr(job::Column::LockedUntil, Expr::value(Option::<i64>::None))
        .col_expr(job::Column::FinishedAt, Expr::value(unix_secs(now)))
        .filter(still_claimed(claimed))
        .exec(db)
        .await?;
    Ok(finished.rows_affected == 1)
}

/// The run failed: queue it again after a backoff (30 s, 60 s), or give up after
/// [`MAX_ATTEMPTS`].
pub async fn retry_later(
    db: &impl ConnectionTrait,
    claimed: &job::Model,
    error: &str,
    now: SystemTime,
) -> Result<(), DbErr> {
    let (status, run_after) = if claimed.attempts >= MAX_ATTEMPTS {
        (FAILED, unix_secs(now))
    } else {
        (QUEUED, unix_secs(now) + 30 * i64::from(claimed.attempts))
    };
    job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(status))
        .col_expr(job::Column::RunAfter, Expr::value(run_after))
        .col_expr(job::Column::LockedUntil, Expr::value(Option::<i64>::None))
        .col_expr(job::Column::LastError, Expr::value(error.chars().take(1000).collect::<String>()))
        .filter(still_claimed(claimed))
        .exec(db)
        .await?;
    Ok(())
}

fn still_claimed(claimed: &job::Model) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(job::Column::Id.eq(claimed.id))
        .add(job::Column::Status.eq(BUILDING))
        .add(job::Column::LockedUntil.eq(claimed.locked_until))
}

/// The job that fills report `report_id`, if it is a generated one.
pub async fn of_report(
    db: &impl ConnectionTrait,
    report_id: i64,
) -> Result<Option<job::Model>, DbErr> {
    job::Entity::find().filter(job::Column::ReportId.eq(report_id)).one(db).await
}

/// The report of the owner's job of `kind` still queued or building, if any.
pub async fn unfinished_of(
    db: &impl ConnectionTrait,
    user_id: i64,
    kind: &str,
) -> Result<Option<i64>, DbErr> {
    let unfinished = job::Entity::find()
        .filter(job::Column::UserId.eq(user_id))
        .filter(job::Column::Kind.eq(kind))
        .filter(job::Column::Status.is_in([QUEUED, BUILDING]))
        .one(db)
        .await?;
    Ok(unfinished.map(|found| found.report_id))
}

/// Deletes the report's job, in the transaction that deletes the report.
pub(crate) async fn forget_report(db: &impl ConnectionTrait, report_id: i64) -> Result<(), DbErr> {
    job::Entity::delete_many().filter(job::Column::ReportId.eq(report_id)).exec(db).await?;
    Ok(())
}
