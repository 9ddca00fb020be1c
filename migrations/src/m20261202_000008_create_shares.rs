use sea_orm_migration::{prelude::*, schema::*};

use crate::secondary_index::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A report shared read-only with a guest (or with whoever holds a copied link). Its token
/// names this row and is not bound to the owner's sessions, so a share lives through the
/// owner's "sign out everywhere" and dies when this row says so. Revoking stamps
/// `revoked_at` rather than deleting, so a revoked link can say that it was revoked; deleting
/// the report empties `report_id` rather than deleting, so the row still counts towards the
/// owner's shares per day. Times are Unix seconds.
#[derive(DeriveIden)]
enum Shares {
    Table,
    Id,
    /// None once the report is deleted.
    ReportId,
    OwnerId,
    /// The guest's account; none for a copied link.
    GuestId,
    Message,
    /// Only browsers that confirmed with a code sent to the guest may open it.
    NamedOnly,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    LastOpenedAt,
    OpensPeople,
    OpensAutomated,
}

/// A browser that confirmed, with a code, that it is the named guest's.
#[derive(DeriveIden)]
enum ShareBrowsers {
    Table,
    Id,
    ShareId,
    /// SHA-256 of the browser's cookie (hex): the cookie itself is never stored.
    Browser,
    ConfirmedAt,
}

/// A confirmation code emailed to a share's guest for one browser.
#[derive(DeriveIden)]
enum ShareCodes {
    Table,
    Id,
    ShareId,
    Browser,
    /// Argon2id of the code; set by the mail worker when it sends the message.
    CodeHash,
    CreatedAt,
    ExpiresAt,
    Attempts,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
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
                    .table(Shares::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Shares::Id))
                    .col(big_integer_null(Shares::ReportId))
                    .col(big_integer(Shares::OwnerId))
                    .col(big_integer_null(Shares::GuestId))
                    .col(text_null(Shares::Message))
                    .col(boolean(Shares::NamedOnly).default(false))
                    .col(big_integer(Shares::CreatedAt))
                    .col(big_integer_null(Shares::ExpiresAt))
                    .col(big_integer_null(Shares::RevokedAt))
                    .col(big_integer_null(Shares::LastOpenedAt))
                    .col(big_integer(Shares::OpensPeople).default(0))
                    .col(big_integer(Shares::OpensAutomated).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Shares::Table, Shares::ReportId)
                            .to(Reports::Table, Reports::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Shares::Table, Shares::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Shares::Table, Shares::GuestId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("shares_report", Shares::Table, [Shares::ReportId])).await?;
        manager
            .create_index(index(
                "shares_owner",
                Shares::Table,
                [Shares::OwnerId, Shares::CreatedAt],
            ))
            .await?;
        manager.create_index(index("shares_guest", Shares::Table, [Shares::GuestId])).await?;
        manager
            .create_table(
                Table::create()
                    .table(ShareBrowsers::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ShareBrowsers::Id))
                    .col(big_integer(ShareBrowsers::ShareId))
                    .col(string_len(ShareBrowsers::Browser, 64))
                    .col(big_integer(ShareBrowsers::ConfirmedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ShareBrowsers::Table, ShareBrowsers::ShareId)
                            .to(Shares::Table, Shares::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "share_browsers_share_browser",
                    ShareBrowsers::Table,
                    [ShareBrowsers::ShareId, ShareBrowsers::Browser],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShareCodes::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ShareCodes::Id))
                    .col(big_integer(ShareCodes::ShareId))
                    .col(string_len(ShareCodes::Browser, 64))
                    .col(text_null(ShareCodes::CodeHash))
                    .col(big_integer(ShareCodes::CreatedAt))
                    .col(big_integer(ShareCodes::ExpiresAt))
                    .col(integer(ShareCodes::Attempts).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ShareCodes::Table, ShareCodes::ShareId)
                            .to(Shares::Table, Shares::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "share_codes_share",
                ShareCodes::Table,
                [ShareCodes::ShareId, ShareCodes::CreatedAt],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ShareCodes::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ShareBrowsers::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Shares::Table).to_owned()).await
    }
}
