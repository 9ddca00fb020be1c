use sea_orm_migration::{prelude::*, schema::*};

use crate::secondary_index::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Sign-in codes typed without their link, one row per budget each try draws on: the
/// address, each block of the client's network, and the whole site. A try is written
/// before its code is compared and deleted if the code was right, so the rows are the
/// exact sliding windows the failure budgets count, whatever runs in parallel.
#[derive(DeriveIden)]
enum CodeFailures {
    Table,
    Id,
    /// The budget: `address:…`, `net:…` or `site`.
    Bucket,
    /// Unix seconds.
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CodeFailures::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CodeFailures::Id))
                    .col(string_len(CodeFailures::Bucket, 300))
                    .col(big_integer(CodeFailures::At))
                    .to_owned(),
            )
            .await?;
        // Each budget's count is a range scan of its bucket; the purge scans by time.
        manager
            .create_index(index(
                "code_failures_bucket_at",
                CodeFailures::Table,
                [CodeFailures::Bucket, CodeFailures::At],
            ))
            .await?;
        manager
            .create_index(index("code_failures_at", CodeFailures::Table, [CodeFailures::At]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(CodeFailures::Table).to_owned()).await
    }
}
