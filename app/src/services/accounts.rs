//! Accounts: created on first sign-in or by an operator, found by normalised email, and
//! the addresses they left kept for them while they may take them back.

use std::time::{Duration, SystemTime};

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _,
    QueryFilter as _, QueryOrder as _, Set,
};

use tokens::Revocation;

use crate::domain::EmailAddress;
use crate::entities::{email_change, user};
use crate::services::time::{from_unix, unix_secs};

/// Why an account could not be created.
#[derive(Debug)]
pub enum CreateError {
    AlreadyExists(user::Model),
    Database(DbErr),
}

impl std::fmt::Display for CreateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::AlreadyExists(user) => {
                write!(f, "a user with email {} already exists (id {})", user.email, user.id)
            }
            Self::Database(e) => write!(f, "database error: {e}"),
        }
    }
}

impl std::error::Error for CreateError {}

/// The revocation material every token bound to `user` is signed under: "sign out
/// everywhere", deactivation and an email change alter it, and with it every such token.
pub fn revocation(user: &user::Model) -> Revocation<'_> {
    Revocation { epoch: u64::try_from(user.token_epoch).unwrap_or(0), email: &user.email }
}

/// Bumps the account's epoch: every session ends and every token bound to the account
/// stops verifying, at once. (See `security::sign_out_everywhere`, which also deletes the
/// link rows, so none comes back under the new epoch.)
pub async fn bump_epoch(db: &impl ConnectionTrait, user_id: i64) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::TokenEpoch, Expr::col(user::Column::TokenEpoch).add(1))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
) -> Result<Option<user::Model>, DbErr> {
    holder_of(db, email.as_str()).await
}

/// The account with `stored` (an address as a row keeps it, normalised when it was
/// written) as its address, whatever its state.
pub async fn holder_of(
    db: &impl ConnectionTrait,
    stored: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find().filter(user::Column::Email.eq(stored)).one(db).await
}

/// An address an account left by a confirmed email change, kept for it while the change's
/// "this wasn't me" link works: no other account may sign in with it, take it by an email
/// change, or keep it through the undo (see `email_change::undo`). Otherwise whoever got
/// into an account could move it away, then have someone share with the old address (which
/// makes an account there), and the owner's undo would find the address taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reserved {
    /// The account the address is kept for.
    pub user_id: i64,
    /// The address it moved to.
    pub moved_to: String,
    /// When it moved.
    pub moved_at: SystemTime,
    /// When it stops being kept (see `Scopes::address_kept_for`).
    pub until: SystemTime,
}

/// The lock (see `db::lock_for_limits`) under which an address changes hands: a guest
/// made there, or an account taking it back.
pub fn address_lock(email: &str) -> String {
    format!("address:{email}")
}

/// Whether `email` is kept for an account other than `holder` (the account with that
/// address now, if any): see [`Reserved`]. `kept_for`: `Scopes::address_kept_for`.
pub async fn reserved(
    db: &impl ConnectionTrait,
    email: &str,
    holder: Option<i64>,
    kept_for: Duration,
    now: SystemTime,
) -> Result<Option<Reserved>, DbErr> {
    let mut found = reservations(db, [email], kept_for, now).await?;
    found.retain(|(_, reserved)| Some(reserved.user_id) != holder);
    Ok(found.pop().map(|(_, reserved)| reserved))
}

/// Every reservation of each of `emails`, by address, for callers that hold several
/// addresses at once (see [`reserved`]).
pub async fn reservations<'a>(
    db: &impl ConnectionTrait,
    emails: impl IntoIterator<Item = &'a str>,
    kept_for: Duration,
    now: SystemTime,
) -> Result<Vec<(String, Reserved)>, DbErr> {
    // The undo link is minted as of the row's creation (see `email_change::prepare_mail`).
    let age = i64::try_from(kept_for.as_secs()).unwrap_or(i64::MAX);
    let rows = email_change::Entity::find()
        .filter(email_change::Column::OldEmail.is_in(emails))
        .filter(email_change::Column::Status.eq(email_change::CONFIRMED))
        .filter(email_change::Column::CreatedAt.gt(unix_secs(now).saturating_sub(age)))
        .order_by_asc(email_change::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let until = from_unix(row.created_at.saturating_add(age));
            let reserved = Reserved {
                user_id: row.user_id,
                moved_to: row.new_email,
                moved_at: from_unix(row.confirmed_at.unwrap_or(row.created_at)),
                until,
            };
            (row.old_email, reserved)
        })
        .collect())
}

/// Makes a guest account (made by someone's share) an ordinary one, shares and all, as its
/// person's first sign-in by email does. False if it is no longer a guest.
pub async fn promote_guest(db: &impl ConnectionTrait, user_id: i64) -> Result<bool, DbErr> {
    let promoted = user::Entity::update_many()
        .col_expr(user::Column::Status, Expr::value(user::ACTIVE))
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::Status.eq(user::GUEST))
        .exec(db)
        .await?;
    Ok(promoted.rows_affected == 1)
}

/// Creates an active account. The unique index on `email` settles races between two
/// creations of the same address: the loser gets `AlreadyExists`.
pub async fn create(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
) -> Result<user::Model, CreateError> {
    let row = user::ActiveModel {
        email: Set(email.as_str().to_owned()),
        status: Set(user::ACTIVE.to_owned()),
        token_epoch: Set(0),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    match row.insert(db).await {
        Ok(user) => Ok(user),
        Err(err) if crate::services::db::is_unique_violation(&err) => {
            match find_by_email(db, email).await {
                Ok(Some(existing)) => Err(CreateError::AlreadyExists(existing)),
                Ok(None) => Err(CreateError::Database(err)),
                Err(e) => Err(CreateError::Database(e)),
            }
        }
        Err(err) => Err(CreateError::Database(err)),
    }
}
