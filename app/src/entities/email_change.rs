use sea_orm::entity::prelude::*;

/// A request to change an account's email, kept while its "this wasn't me" link works.
/// Times are Unix seconds.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub old_email: String,
    pub new_email: String,
    pub status: String,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id"
    )]
    Account,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

/// `email_changes.status` values.
/// Mailed to the new address, not confirmed yet.
pub const PENDING: &str = "pending";
/// The account's address is the new one.
pub const CONFIRMED: &str = "confirmed";
/// "This wasn't me": cancelled, or reverted if it had been confirmed.
pub const UNDONE: &str = "undone";
/// A later request of the same account replaced it before it was confirmed.
pub const SUPERSEDED: &str = "superseded";
/// The new address already had an account: it was told so, and nothing else happened.
pub const TAKEN: &str = "taken";
