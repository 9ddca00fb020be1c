use sea_orm_migration::{prelude::*, schema::*};

use crate::secondary_index::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A named, long-lived link that signs its owner in ("Kitchen tablet"). Its token names
/// this row, so deleting the row revokes that link, and the sessions it started end with
/// it. Times are Unix seconds.
#[derive(DeriveIden)]
enum PersonalLinks {
    Table,
    Id,
    UserId,
    Name,
    CreatedAt,
    LastUsedAt,
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
                    .table(PersonalLinks::Table)
                    .if_not_exists()
                    .col(big_pk_auto(PersonalLinks::Id))
                    .col(big_integer(PersonalLinks::UserId))
                    .col(string_len(PersonalLinks::Name, 60))
                    .col(big_integer(PersonalLinks::CreatedAt))
                    .col(big_integer_null(PersonalLinks::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PersonalLinks::Table, PersonalLinks::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "personal_links_user",
                PersonalLinks::Table,
                [PersonalLinks::UserId],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(PersonalLinks::Table).to_owned()).await
    }
}
