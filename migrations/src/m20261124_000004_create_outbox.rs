use sea_orm_migration::{prelude::*, schema::*};

use crate::secondary_index::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Mail to deliver, written in the same transaction as the action that caused it. The
/// worker renders each message from its `kind` and `reference_id` at delivery time.
#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    /// What to render, e.g. `sign_in`.
    Kind,
    /// The row the message is about (for `sign_in`, the sign-in request).
    ReferenceId,
    Recipient,
    /// `pending`, `sent`, `dropped` (no longer worth sending) or `failed` (gave up).
    Status,
    Attempts,
    /// Unix seconds before which no worker picks it up (backoff).
    NextAttemptAt,
    /// Unix seconds until which one worker holds it; a crashed worker's claim runs out.
    LockedUntil,
    LastError,
    CreatedAt,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Outbox::Id))
                    .col(string_len(Outbox::Kind, 32))
                    .col(big_integer(Outbox::ReferenceId))
                    .col(string_len(Outbox::Recipient, 254))
                    .col(string_len(Outbox::Status, 16).default("pending"))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(big_integer(Outbox::NextAttemptAt))
                    .col(big_integer_null(Outbox::LockedUntil))
                    .col(text_null(Outbox::LastError))
                    .col(big_integer(Outbox::CreatedAt))
                    .col(big_integer_null(Outbox::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "outbox_due",
                Outbox::Table,
                [Outbox::Status, Outbox::NextAttemptAt],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Outbox::Table).to_owned()).await
    }
}
