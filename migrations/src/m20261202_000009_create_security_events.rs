use sea_orm_migration::{prelude::*, schema::*};

use crate::secondary_index::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What happened to an account's access, for its owner to review: sign-ins, links issued
/// and revoked, shares made and stopped, signing out everywhere. Times are Unix seconds.
#[derive(DeriveIden)]
enum SecurityEvents {
    Table,
    Id,
    UserId,
    /// What happened (`services::activity::Event`'s name for it).
    Kind,
    /// What it happened to, as the owner names it (a link's name, a report's title).
    Detail,
    /// Where the request came from.
    Ip,
    UserAgent,
    CreatedAt,
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
                    .table(SecurityEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SecurityEvents::Id))
                    .col(big_integer(SecurityEvents::UserId))
                    .col(string_len(SecurityEvents::Kind, 40))
                    .col(string_len_null(SecurityEvents::Detail, 400))
                    .col(string_len_null(SecurityEvents::Ip, 45))
                    .col(string_len_null(SecurityEvents::UserAgent, 300))
                    .col(big_integer(SecurityEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SecurityEvents::Table, SecurityEvents::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "security_events_user_time",
                SecurityEvents::Table,
                [SecurityEvents::UserId, SecurityEvents::CreatedAt],
            ))
            .await?;
        // The purge deletes by age across accounts.
        manager
            .create_index(index(
                "security_events_time",
                SecurityEvents::Table,
                [SecurityEvents::CreatedAt],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SecurityEvents::Table).to_owned()).await
    }
}
