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
        // Sessions signed in before this migration name their account in their data only.
        let backfill = match manager.get_database_backend() {
            sea_orm_migration::sea_orm::DatabaseBackend::Postgres => {
                "UPDATE sessions SET user_id = (data::json->'auth'->>'user_id')::bigint \
                 WHERE user_id IS NULL AND data::json->'auth' IS NOT NULL"
            }
            _ => {
                "UPDATE sessions SET user_id = json_extract(data, '$.auth.user_id') \
                 WHERE user_id IS NULL AND json_extract(data, '$.auth') IS NOT NULL"
            }
        };
        manager.get_connection().execute_unprepared(backfill).await?;
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
