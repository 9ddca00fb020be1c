use sea_orm::entity::prelude::*;

/// A confirmation code emailed to a share's guest, for the one browser that asked, with a
/// link that confirms whichever browser opens it. The mail worker sets `code_hash`
/// (Argon2id) and `link_hash` (SHA-256 of the link's key) when it sends the email. Times
/// are Unix seconds.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "share_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub share_id: i64,
    pub browser: String,
    pub code_hash: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub attempts: i32,
    pub link_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
