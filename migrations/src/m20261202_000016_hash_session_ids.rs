use sea_orm_migration::prelude::*;
use sha2::{Digest as _, Sha256};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Sessions are stored under the SHA-256 of their id (the cookie's secret), so a leaked
/// table or backup holds no session anyone can present.
#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // All or nothing on SQLite too: cut short halfway and run again, it would hash some
    // ids twice (and sign those people out).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Neither database has SHA-256 built in (SQLite none at all), so the live sessions
        // are rewritten from here, and nobody is signed out by the change.
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let select = Query::select().column(Sessions::Id).from(Sessions::Table).to_owned();
        let ids: Vec<String> = db
            .query_all_raw(backend.build(&select))
            .await?
            .iter()
            .map(|row| row.try_get("", "id"))
            .collect::<Result<_, _>>()?;
        for id in ids {
            let hashed: String =
                Sha256::digest(id.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
            let update = Query::update()
                .table(Sessions::Table)
                .value(Sessions::Id, hashed)
                .and_where(Expr::col(Sessions::Id).eq(id))
                .to_owned();
            db.execute_raw(backend.build(&update)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A digest cannot be turned back into its id: the sessions end.
        let backend = manager.get_database_backend();
        let delete = Query::delete().from_table(Sessions::Table).to_owned();
        manager.get_connection().execute_raw(backend.build(&delete)).await?;
        Ok(())
    }
}
