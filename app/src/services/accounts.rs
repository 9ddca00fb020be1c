//! Accounts: created on first sign-in or by an operator, found by normalised email.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _,
    QueryFilter as _, Set,
};

use tokens::Revocation;

use crate::domain::EmailAddress;
use crate::entities::user;

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
    user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(db).await
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
        last_sign_in_at: Set(None),
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
