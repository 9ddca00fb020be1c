use sea_orm::entity::prelude::*;

/// A request for a sign-in email (see the migration for each column's role). Times are
/// Unix seconds.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The key of the requesting browser's handle (`sign_in::handles`).
    #[sea_orm(unique)]
    pub handle_hash: String,
    pub email: String,
    pub mailed: bool,
    pub client_ip: String,
    pub user_agent: String,
    pub next_path: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub code_hash: Option<String>,
    pub code_attempts: i32,
    pub consumed_at: Option<i64>,
    pub browser_hash: Option<String>,
    pub binding: String,
    pub mailbox: String,
    pub network: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Asked in a browser (bound to it when `browser_hash` is set).
pub const BROWSER: &str = "browser";
/// Asked from a dead link's page: bound to no browser, its link always asks for the code.
pub const RESEND: &str = "resend";
/// Made by `latchkey link login`: no code, so its page asks to confirm.
pub const OFFLINE: &str = "offline";
