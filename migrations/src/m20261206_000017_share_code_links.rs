use sea_orm_migration::{prelude::*, schema::*};

use crate::secondary_index::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ShareCodes {
    Table,
    /// SHA-256 (hex) of the key in the code email's link, which confirms whichever browser
    /// opens it: the guest is never locked out by someone else spending the typed codes'
    /// limits with a forwarded share link.
    LinkHash,
}

#[derive(DeriveIden)]
enum EmailChanges {
    Table,
    OldEmail,
    Status,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ShareCodes::Table)
                    .add_column(string_len_null(ShareCodes::LinkHash, 64))
                    .to_owned(),
            )
            .await?;
        // Whether an address is kept for the account that left it, asked by first sign-ins.
        manager
            .create_index(index(
                "email_changes_old_email",
                EmailChanges::Table,
                [EmailChanges::OldEmail, EmailChanges::Status],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("email_changes_old_email").to_owned()).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ShareCodes::Table)
                    .drop_column(ShareCodes::LinkHash)
                    .to_owned(),
            )
            .await
    }
}
