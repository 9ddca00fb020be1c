use sea_orm::entity::prelude::*;

/// A browser session's record, as tower-sessions hands it to the store.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub data: String,
    /// Unix seconds.
    pub expires_at: i64,
    /// The signed-in account (also in `data`), so its sessions can be listed.
    pub user_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
