use sea_orm::entity::prelude::*;

/// A background job, claimed by one worker at a time under a lease. Times are Unix seconds.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub user_id: i64,
    pub report_id: i64,
    pub status: String,
    pub attempts: i32,
    pub run_after: i64,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// `jobs.status` values.
pub const QUEUED: &str = "queued";
pub const BUILDING: &str = "building";
pub const READY: &str = "ready";
/// Every attempt failed.
pub const FAILED: &str = "failed";

/// `jobs.kind` values.
/// Fills a report with the owner's account activity (see `services::activity_report`).
pub const ACTIVITY_REPORT: &str = "activity_report";
