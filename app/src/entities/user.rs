use sea_orm::entity::prelude::*;

/// An account. Its `email` is stored normalised (see [`crate::domain::EmailAddress`]).
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
    pub last_sign_in_at: Option<ChronoDateTimeUtc>,
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
