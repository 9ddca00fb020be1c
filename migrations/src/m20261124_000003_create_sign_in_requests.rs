use sea_orm_migration::{prelude::*, schema::*};

use crate::secondary_index::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every sign-in request under the per-IP limit, mailed or not: the rows are the exact
/// sliding windows the rate limits count, and the pending state a link or code finishes.
/// Times are Unix seconds, so window arithmetic means the same on both databases.
#[derive(DeriveIden)]
enum SignInRequests {
    Table,
    Id,
    /// SHA-256 of the random handle the requesting browser holds to type the code.
    HandleHash,
    /// Normalised when it parsed; as typed (truncated) when it did not, and then never mailed.
    Email,
    /// Whether a message was queued: false when the address was invalid or over its limit.
    Mailed,
    ClientIp,
    UserAgent,
    /// Same-origin path to land on after signing in.
    NextPath,
    CreatedAt,
    ExpiresAt,
    /// PHC string of the 6-digit code, written by the mail worker.
    CodeHash,
    CodeAttempts,
    /// Set once, by whichever of the link or the code finishes the request first.
    ConsumedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SignInRequests as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .if_not_exists()
                    .col(big_pk_auto(T::Id))
                    .col(string_len_uniq(T::HandleHash, 64))
                    .col(string_len(T::Email, 254))
                    .col(boolean(T::Mailed))
                    .col(string_len(T::ClientIp, 45))
                    .col(string_len(T::UserAgent, 256))
                    .col(string_len_null(T::NextPath, 512))
                    .col(big_integer(T::CreatedAt))
                    .col(big_integer(T::ExpiresAt))
                    .col(string_len_null(T::CodeHash, 128))
                    .col(integer(T::CodeAttempts).default(0))
                    .col(big_integer_null(T::ConsumedAt))
                    .to_owned(),
            )
            .await?;
        // The two rate limits' range scans: each visits at most its limit's worth of rows,
        // since requests over a limit are not recorded (per IP) or not mailed (per address).
        manager
            .create_index(index(
                "sign_in_requests_email_mailed_created_at",
                T::Table,
                [T::Email, T::Mailed, T::CreatedAt],
            ))
            .await?;
        manager
            .create_index(index(
                "sign_in_requests_client_ip_created_at",
                T::Table,
                [T::ClientIp, T::CreatedAt],
            ))
            .await?;
        manager.create_index(index("sign_in_requests_created_at", T::Table, [T::CreatedAt])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SignInRequests::Table).to_owned()).await
    }
}
