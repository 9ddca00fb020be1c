use sea_orm_migration::{prelude::*, schema::*};

use crate::secondary_index::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SignInRequests {
    Table,
    Email,
    /// The mailbox the address most likely reaches (`+tags` dropped, Gmail's dots too):
    /// the per-address limit counts by it, so tags cannot multiply one inbox's quota.
    Mailbox,
    /// The client's network for fair delivery (IPv4 /24, IPv6 /48).
    Network,
    Mailed,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Kind,
    Status,
    SentAt,
    /// How many sign-in emails the asking network had asked for in the rate window, as last
    /// seen (0 for other mail): delivery goes lowest first, so a flood waits behind the
    /// networks that asked for few. Set when queued, raised at claim time if the network
    /// has asked for more since.
    FairRank,
    /// The asking network of a sign-in email (IPv4 /24, IPv6 /48); none for other mail.
    Network,
    CreatedAt,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // All or nothing on SQLite too: a start-up cut short halfway would leave columns that
    // the next attempt fails to add again.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for column in [SignInRequests::Mailbox, SignInRequests::Network] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SignInRequests::Table)
                        .add_column(string_len(column, 254).default(""))
                        .to_owned(),
                )
                .await?;
        }
        // Requests already in their window keep counting, unfolded.
        manager
            .get_connection()
            .execute_unprepared("UPDATE sign_in_requests SET mailbox = email")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(integer(Outbox::FairRank).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(string_len_null(Outbox::Network, 64))
                    .to_owned(),
            )
            .await?;
        // The per-address limit's and the fair rank's range scans, as for the per-email
        // index they replace.
        use SignInRequests as T;
        manager
            .drop_index(
                Index::drop()
                    .name("sign_in_requests_email_mailed_created_at")
                    .table(T::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "sign_in_requests_mailbox_mailed_created_at",
                T::Table,
                [T::Mailbox, T::Mailed, T::CreatedAt],
            ))
            .await?;
        manager
            .create_index(index(
                "sign_in_requests_network_mailed_created_at",
                T::Table,
                [T::Network, T::Mailed, T::CreatedAt],
            ))
            .await?;
        // Claims scan pending mail lowest rank first, oldest first within a rank.
        manager
            .create_index(index(
                "outbox_fair_order",
                Outbox::Table,
                [Outbox::Status, Outbox::FairRank, Outbox::Id],
            ))
            .await?;
        // A claim counts each candidate's network's emails in the rate window.
        manager
            .create_index(index(
                "outbox_network_created_at",
                Outbox::Table,
                [Outbox::Network, Outbox::CreatedAt],
            ))
            .await?;
        // The site-wide ceiling counts the sign-in emails of the last minute.
        manager
            .create_index(index(
                "outbox_kind_status_sent_at",
                Outbox::Table,
                [Outbox::Kind, Outbox::Status, Outbox::SentAt],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SignInRequests as T;
        for name in ["outbox_kind_status_sent_at", "outbox_network_created_at", "outbox_fair_order"]
        {
            manager.drop_index(Index::drop().name(name).table(Outbox::Table).to_owned()).await?;
        }
        for name in [
            "sign_in_requests_network_mailed_created_at",
            "sign_in_requests_mailbox_mailed_created_at",
        ] {
            manager.drop_index(Index::drop().name(name).table(T::Table).to_owned()).await?;
        }
        manager
            .create_index(index(
                "sign_in_requests_email_mailed_created_at",
                T::Table,
                [T::Email, T::Mailed, T::CreatedAt],
            ))
            .await?;
        for column in [Outbox::Network, Outbox::FairRank] {
            manager
                .alter_table(Table::alter().table(Outbox::Table).drop_column(column).to_owned())
                .await?;
        }
        for column in [T::Network, T::Mailbox] {
            manager
                .alter_table(Table::alter().table(T::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
