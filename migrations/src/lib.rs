//! Latchkey's whole schema. The server applies it at start-up; the same migrations serve
//! SQLite and PostgreSQL, so every column uses types both spell the same way.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_users;
mod m20261123_000002_create_redeemed_tokens;
mod m20261124_000003_create_sign_in_requests;
mod m20261124_000004_create_outbox;
mod m20261124_000005_create_sessions;
mod m20261202_000006_create_reports;
mod m20261202_000007_create_personal_links;
mod m20261202_000008_create_shares;
mod m20261202_000009_create_security_events;
mod m20261202_000010_sessions_by_account;
mod m20261202_000011_create_email_changes;
mod m20261202_000012_create_jobs;
mod m20261202_000013_bind_sign_in_requests;
mod m20261202_000014_create_code_failures;
mod m20261202_000015_fair_sign_in_mail;
mod m20261202_000016_hash_session_ids;
mod m20261206_000017_share_code_links;
mod secondary_index;
#[cfg(feature = "testing")]
pub mod test_database;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_users::Migration),
            Box::new(m20261123_000002_create_redeemed_tokens::Migration),
            Box::new(m20261124_000003_create_sign_in_requests::Migration),
            Box::new(m20261124_000004_create_outbox::Migration),
            Box::new(m20261124_000005_create_sessions::Migration),
            Box::new(m20261202_000006_create_reports::Migration),
            Box::new(m20261202_000007_create_personal_links::Migration),
            Box::new(m20261202_000008_create_shares::Migration),
            Box::new(m20261202_000009_create_security_events::Migration),
            Box::new(m20261202_000010_sessions_by_account::Migration),
            Box::new(m20261202_000011_create_email_changes::Migration),
            Box::new(m20261202_000012_create_jobs::Migration),
            Box::new(m20261202_000013_bind_sign_in_requests::Migration),
            Box::new(m20261202_000014_create_code_failures::Migration),
            Box::new(m20261202_000015_fair_sign_in_mail::Migration),
            Box::new(m20261202_000016_hash_session_ids::Migration),
            Box::new(m20261206_000017_share_code_links::Migration),
        ]
    }
}
