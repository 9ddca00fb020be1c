use sea_orm_migration::{prelude::*, schema::*};

use crate::secondary_index::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A report: a title and a Markdown body, stored with its rendered, sanitised HTML so a
/// view never renders. Times are Unix seconds.
#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    OwnerId,
    Title,
    BodyMarkdown,
    BodyHtml,
    CreatedAt,
    UpdatedAt,
}

/// An authenticated report link mailed to the owner: its token is bound to this row, so
/// deleting the row revokes that one link.
#[derive(DeriveIden)]
enum ReportLinks {
    Table,
    Id,
    ReportId,
    /// The report's owner, whose revocation material signs the link.
    OwnerId,
    CreatedAt,
    LastOpenedAt,
    Opens,
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
                    .table(Reports::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Reports::Id))
                    .col(big_integer(Reports::OwnerId))
                    .col(string_len(Reports::Title, 200))
                    .col(text(Reports::BodyMarkdown))
                    .col(text(Reports::BodyHtml))
                    .col(big_integer(Reports::CreatedAt))
                    .col(big_integer(Reports::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Reports::Table, Reports::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("reports_owner", Reports::Table, [Reports::OwnerId])).await?;
        manager
            .create_table(
                Table::create()
                    .table(ReportLinks::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ReportLinks::Id))
                    .col(big_integer(ReportLinks::ReportId))
                    .col(big_integer(ReportLinks::OwnerId))
                    .col(big_integer(ReportLinks::CreatedAt))
                    .col(big_integer_null(ReportLinks::LastOpenedAt))
                    .col(big_integer(ReportLinks::Opens).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReportLinks::Table, ReportLinks::ReportId)
                            .to(Reports::Table, Reports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("report_links_report", ReportLinks::Table, [ReportLinks::ReportId]))
            .await?;
        manager
            .create_index(index("report_links_owner", ReportLinks::Table, [ReportLinks::OwnerId]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ReportLinks::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Reports::Table).to_owned()).await
    }
}
