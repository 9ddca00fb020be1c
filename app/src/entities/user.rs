use sea_orm::entity::prelude::*;

/// An account. Its `email` is stored normalised (see [`crate::domain::EmailAddress`]).
///
/// The table still has a `last_sign_in_at` column, which nothing reads and this build no
/// longer writes (the security activity records each sign-in). It stays until no older
/// instance can be running: those name it in every query on `users`, so dropping it during
/// a rolling upgrade would break them.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub email: String,
    pub status: String,
    /// Part of every token's MAC: bumping it revokes all of the user's links at once.
    pub token_epoch: i64,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// `users.status` values.
pub const ACTIVE: &str = "active";
pub const DEACTIVATED: &str = "deactivated";
/// Created by a share to an address with no account: it holds shares but cannot be
/// signed in to until its person signs in by email, which makes it [`ACTIVE`].
pub const GUEST: &str = "guest";
