use sea_orm_migration::{prelude::*, schema::*};

use crate::secondary_index::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Sessions name their account in a column of their own (it is also in the record's data),
/// so an account's sessions can be listed and ended one by one on its Access page.
#[derive(DeriveIden)]
enum Sessions {
    Table,
    /// None for a session nobody signed in to.
    UserId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(big_integer_null(Sessions::UserId))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("sessions_user", Sessions::Table, [Sessions::UserId])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite refuses to drop a column an index still names.
        manager
            .drop_index(Index::drop().name("sessions_user").table(Sessions::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter().table(Sessions::Table).drop_column(Sessions::UserId).to_owned(),
            )
            .await
    }
}
