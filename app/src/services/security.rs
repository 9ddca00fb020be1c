//! Account security actions that cut across features: they change the account and every
//! feature's credentials of it in one transaction, so nothing is left half revoked.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _, QueryFilter as _,
    TransactionTrait as _,
};

use crate::entities::email_change;

use crate::services::{Db, accounts, personal_links, reports};

/// Ends every session of the account and revokes every link bound to it: sign-in, report
/// and personal links. The epoch bump kills their tokens; the rows go too, so no revoked
/// link is listed again or minted afresh under the new epoch, and report emails still in
/// the outbox are dropped. Shares the account made are bound to their guests and stay.
pub async fn sign_out_everywhere(db: &Db, user_id: i64) -> Result<(), DbErr> {
    let txn = db.write.begin().await?;
    accounts::bump_epoch(&txn, user_id).await?;
    revoke_links(&txn, user_id).await?;
    // A confirmation still waiting in the outbox would be minted under the new epoch.
    email_change::Entity::update_many()
        .col_expr(email_change::Column::Status, Expr::value(email_change::SUPERSEDED))
        .filter(email_change::Column::UserId.eq(user_id))
        .filter(email_change::Column::Status.eq(email_change::PENDING))
        .exec(&txn)
        .await?;
    txn.commit().await
}

/// Deletes the account's personal-link and report-link rows, in the caller's transaction,
/// which also bumps the account's epoch (directly, or by changing its email).
pub(crate) async fn revoke_links(db: &impl ConnectionTrait, user_id: i64) -> Result<(), DbErr> {
    personal_links::revoke_all(db, user_id).await?;
    reports::revoke_all_links(db, user_id).await?;
    Ok(())
}
