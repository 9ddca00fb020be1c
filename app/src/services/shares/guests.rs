//! Guest accounts: the first share to an address with no account creates one, which holds
//! that person's shares but cannot be signed in to until they sign in by email themselves
//! (which makes it an ordinary account, shares and all; see `sign_in`).

use std::time::SystemTime;

use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait as _, Set};

use crate::domain::EmailAddress;
use crate::entities::user;
use crate::services::{accounts, db};

/// The account of `email`, whatever its state, or a new guest account for it. Safe against
/// a concurrent creation of the same address (either side's row is used).
pub(super) async fn find_or_create(
    txn: &impl ConnectionTrait,
    email: &EmailAddress,
    now: SystemTime,
) -> Result<user::Model, DbErr> {
    // In turn with an email change's undo taking the address back (which folds a guest
    // made there into its account): the caller's transaction is at READ COMMITTED.
    db::lock_for_limits(txn, [accounts::address_lock(email.as_str())]).await?;
    if let Some(found) = accounts::find_by_email(txn, email).await? {
        return Ok(found);
    }
    // ON CONFLICT DO NOTHING, not a caught violation: on PostgreSQL a failed statement
    // would abort the caller's transaction.
    user::Entity::insert(user::ActiveModel {
        email: Set(email.as_str().to_owned()),
        status: Set(user::GUEST.to_owned()),
        token_epoch: Set(0),
        created_at: Set(chrono::DateTime::<chrono::Utc>::from(now)),
        ..Default::default()
    })
    .on_conflict(OnConflict::column(user::Column::Email).do_nothing().to_owned())
    .exec_without_returning(txn)
    .await?;
    accounts::find_by_email(txn, email)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("guest account for {email:?}")))
}
