use sea_orm_migration::{prelude::*, schema::*};

use crate::secondary_index::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Background jobs (today: building an account-activity report). Kept in the database so
/// they survive a restart and run once across instances: a worker claims a job with a
/// conditional update and a lease, and a claim that runs out is taken over. Times are Unix
/// seconds.
#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    /// What to do (`services::jobs`' name for it).
    Kind,
    UserId,
    /// The report the job fills in.
    ReportId,
    /// `queued`, `building`, `ready` or `failed`.
    Status,
    Attempts,
    /// Not claimed before this (a retry's backoff).
    RunAfter,
    /// A claim's lease; past it, another worker may take the job over.
    LockedUntil,
    LastError,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Jobs::Id))
                    .col(string_len(Jobs::Kind, 32))
                    .col(big_integer(Jobs::UserId))
                    .col(big_integer(Jobs::ReportId))
                    .col(string_len(Jobs::Status, 16))
                    .col(integer(Jobs::Attempts))
                    .col(big_integer(Jobs::RunAfter))
                    .col(big_integer_null(Jobs::LockedUntil))
                    .col(string_len_null(Jobs::LastError, 1000))
                    .col(big_integer(Jobs::CreatedAt))
                    .col(big_integer_null(Jobs::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Jobs::Table, Jobs::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // A deleted report takes its job with it: nothing left to fill in.
                    .foreign_key(
                        ForeignKey::create()
                            .from(Jobs::Table, Jobs::ReportId)
                            .to(Reports::Table, Reports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The worker looks for due jobs by status and time; pages look a report's job up.
        manager
            .create_index(index("jobs_due", Jobs::Table, [Jobs::Status, Jobs::RunAfter]))
            .await?;
        manager.create_index(index("jobs_report", Jobs::Table, [Jobs::ReportId])).await?;
        manager
            .create_index(index("jobs_user_time", Jobs::Table, [Jobs::UserId, Jobs::CreatedAt]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Jobs::Table).to_owned()).await
    }
}
