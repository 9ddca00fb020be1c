use sea_orm::entity::prelude::*;

/// A message waiting in (or delivered from) the outbox. Times are Unix seconds.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub reference_id: i64,
    pub recipient: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    /// Delivered lowest first (see the migration that added it).
    pub fair_rank: i32,
    /// The asking network, for sign-in emails.
    pub network: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// `outbox.kind` values.
pub const SIGN_IN: &str = "sign_in";
/// A link to one report, for its owner (`reference_id`: the report link).
pub const REPORT_LINK: &str = "report_link";
/// A report shared with a guest, to the guest (`reference_id`: the share).
pub const SHARE: &str = "share";
/// A code confirming a browser as a share's named guest (`reference_id`: the code row).
pub const SHARE_CODE: &str = "share_code";
/// The confirmation link for an email change, to the new address (`reference_id`: the
/// change row).
pub const EMAIL_CHANGE: &str = "email_change";
/// "Your address is about to change" with "this wasn't me", to the old address.
pub const EMAIL_CHANGE_NOTICE: &str = "email_change_notice";
/// "This address already has an account", to a new address that is taken.
pub const EMAIL_TAKEN: &str = "email_taken";

/// `outbox.status` values.
pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
/// Not worth sending any more (e.g. the sign-in request expired while SMTP was down).
pub const DROPPED: &str = "dropped";
/// Retries exhausted.
pub const FAILED: &str = "failed";
