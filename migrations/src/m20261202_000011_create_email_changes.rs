use sea_orm_migration::{prelude::*, schema::*};

use crate::secondary_index::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Requests to change an account's email. The row outlives the change for as long as its
/// "this wasn't me" link works, so the change can be undone. Times are Unix seconds.
#[derive(DeriveIden)]
enum EmailChanges {
    Table,
    Id,
    UserId,
    /// The account's address when the change was asked for (normalised).
    OldEmail,
    NewEmail,
    /// `pending`, `confirmed`, `undone`, `superseded`, or `taken` (the new address had an
    /// account: only a notice went there).
    Status,
    CreatedAt,
    ConfirmedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EmailChanges::Table)
                    .if_not_exists()
                    .col(big_pk_auto(EmailChanges::Id))
                    .col(big_integer(EmailChanges::UserId))
                    .col(string_len(EmailChanges::OldEmail, 254))
                    .col(string_len(EmailChanges::NewEmail, 254))
                    .col(string_len(EmailChanges::Status, 16))
                    .col(big_integer(EmailChanges::CreatedAt))
                    .col(big_integer_null(EmailChanges::ConfirmedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EmailChanges::Table, EmailChanges::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The per-account daily limit counts by account and time; the purge by time.
        manager
            .create_index(index(
                "email_changes_user_time",
                EmailChanges::Table,
                [EmailChanges::UserId, EmailChanges::CreatedAt],
            ))
            .await?;
        manager
            .create_index(index(
                "email_changes_time",
                EmailChanges::Table,
                [EmailChanges::CreatedAt],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(EmailChanges::Table).to_owned()).await
    }
}
