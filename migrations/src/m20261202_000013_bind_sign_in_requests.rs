use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What a sign-in request's link must be opened with to sign in without more questions.
#[derive(DeriveIden)]
enum SignInRequests {
    Table,
    /// SHA-256 of the secret in the requesting browser's cookie: that browser alone signs
    /// in by opening the link. None for a request made without one.
    BrowserHash,
    /// `browser` (asked in a browser, maybe bound to it), `resend` (asked from a dead link's
    /// page: bound to no browser, so its link always asks for the code) or `offline`
    /// (`latchkey link login`: no code exists, the page asks to confirm).
    Binding,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(SignInRequests::Table)
                    .add_column(string_len_null(SignInRequests::BrowserHash, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SignInRequests::Table)
                    .add_column(string_len(SignInRequests::Binding, 16).default("browser"))
                    .to_owned(),
            )
            .await?;
        // Links made by `latchkey link login` before this migration have no code to type.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE sign_in_requests SET binding = 'offline' WHERE client_ip = 'command line'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [SignInRequests::Binding, SignInRequests::BrowserHash] {
            manager
                .alter_table(
                    Table::alter().table(SignInRequests::Table).drop_column(column).to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
