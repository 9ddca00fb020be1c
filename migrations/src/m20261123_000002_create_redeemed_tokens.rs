use sea_orm_migration::{prelude::*, schema::*};

use crate::secondary_index::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Spent single-use tokens (the `tokens` crate's `store` feature).
#[derive(DeriveIden)]
enum RedeemedTokens {
    Table,
    Purpose,
    Nonce,
    /// Unix seconds; an integer so the purge's comparison means the same on both databases.
    PurgeAfter,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RedeemedTokens::Table)
                    .if_not_exists()
                    .col(string_len(RedeemedTokens::Purpose, 32))
                    .col(binary_len(RedeemedTokens::Nonce, 16))
                    .col(big_integer(RedeemedTokens::PurgeAfter))
                    // The uniqueness that makes redemption single-use, across instances.
                    .primary_key(
                        Index::create().col(RedeemedTokens::Purpose).col(RedeemedTokens::Nonce),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "redeemed_tokens_purge_after",
                RedeemedTokens::Table,
                [RedeemedTokens::PurgeAfter],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(RedeemedTokens::Table).to_owned()).await
    }
}
