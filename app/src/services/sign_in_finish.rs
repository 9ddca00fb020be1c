//! The last step of every sign-in, by link or by code: consume the request and sign its
//! address in (creating the account on first sign-in), inside the caller's transaction.
//! Several at once, with one statement per step whatever their number, so that redeeming
//! links by group commit costs no more round trips than redeeming one.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::SystemTime;

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait as _, Condition, ConnectionTrait, DbErr, EntityTrait as _, QueryFilter as _, Set,
};
use tokens::Rejection;

use crate::domain::{EmailAddress, NextPath};
use crate::entities::{sign_in_request, user};
use crate::services::time::unix_secs;

/// An account signed in, before its session starts.
#[derive(Debug)]
pub(crate) struct Finished {
    pub user_id: i64,
    pub email: String,
    pub token_epoch: i64,
    /// Where to go next.
    pub next: String,
    /// The browser's current session, which the new one replaces.
    pub replaces: Option<String>,
}

/// A request whose link or code checked out, about to be finished.
pub(crate) struct Finishing {
    pub request: sign_in_request::Model,
    /// The account the link or code was checked against, if the address had one then.
    pub user: Option<user::Model>,
    /// The browser's current session, ended by signing in.
    pub replaces: Option<String>,
}

/// Finishes each of `items`, answering in order. A request finishes once: of two items for
/// one request, the first wins. An account whose revocation material (status, epoch,
/// address) changed since it was checked is refused; the request is still consumed, as the
/// change revoked its link anyway.
pub(crate) async fn finish_many(
    txn: &impl ConnectionTrait,
    items: Vec<Finishing>,
    now: SystemTime,
) -> Result<Vec<Result<Finished, Rejection>>, DbErr> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let now_secs = unix_secs(now);
    let signed_in_at = chrono::DateTime::from_timestamp(now_secs, 0).unwrap_or_default();

    // Whichever of the link or the code comes first consumes the request.
    let ids: BTreeSet<i64> = items.iter().map(|i| i.request.id).collect();
    let consumed: HashSet<i64> = sign_in_request::Entity::update_many()
        .col_expr(sign_in_request::Column::ConsumedAt, Expr::value(now_secs))
        .filter(sign_in_request::Column::Id.is_in(ids))
        .filter(sign_in_request::Column::ConsumedAt.is_null())
        .filter(sign_in_request::Column::ExpiresAt.gt(now_secs))
        .exec_with_returning(txn)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut claimed = HashSet::new();
    let checked: Vec<Result<(Finishing, EmailAddress), Rejection>> = items
        .into_iter()
        .map(|item| {
            if !consumed.contains(&item.request.id) || !claimed.insert(item.request.id) {
                return Err(Rejection::AlreadyUsed);
            }
            let address =
                EmailAddress::parse(&item.request.email).map_err(|_| Rejection::UnknownSubject)?;
            Ok((item, address))
        })
        .collect();

    // Known accounts sign in only if nothing revoked them since they were checked.
    let known = checked.iter().flatten().filter_map(|(item, _)| item.user.as_ref());
    let unchanged = known.fold(Condition::any(), |any, u| {
        any.add(
            Condition::all()
                .add(user::Column::Id.eq(u.id))
                .add(user::Column::TokenEpoch.eq(u.token_epoch))
                .add(user::Column::Email.eq(&u.email)),
        )
    });
    let still_valid: HashSet<i64> = if unchanged.is_empty() {
        HashSet::new()
    } else {
        user::Entity::update_many()
            .col_expr(user::Column::LastSignInAt, Expr::value(signed_in_at))
            .filter(user::Column::Status.eq(user::ACTIVE))
            .filter(unchanged)
            .exec_with_returning(txn)
            .await?
            .into_iter()
            .map(|u| u.id)
            .collect()
    };

    // First sign-ins create the account; if one appeared meanwhile, it is used. Each
    // address once: PostgreSQL refuses to upsert one row twice in a statement.
    let new_addresses: BTreeSet<&str> = checked
        .iter()
        .flatten()
        .filter(|(item, _)| item.user.is_none())
        .map(|(_, address)| address.as_str())
        .collect();
    let accounts: HashMap<String, user::Model> = if new_addresses.is_empty() {
        HashMap::new()
    } else {
        user::Entity::insert_many(new_addresses.into_iter().map(|email| user::ActiveModel {
            email: Set(email.to_owned()),
            status: Set(user::ACTIVE.to_owned()),
            token_epoch: Set(0),
            created_at: Set(signed_in_at),
            last_sign_in_at: Set(Some(signed_in_at)),
            ..Default::default()
        }))
        .on_conflict(
            OnConflict::column(user::Column::Email)
                .update_column(user::Column::LastSignInAt)
                .to_owned(),
        )
        .exec_with_returning(txn)
        .await?
        .into_iter()
        .map(|u| (u.email.clone(), u))
        .collect()
    };

    Ok(checked
        .into_iter()
        .map(|checked| {
            let (item, address) = checked?;
            let user = match item.user {
                Some(user) if still_valid.contains(&user.id) => user,
                Some(_) => return Err(Rejection::BadSignature),
                None => match accounts.get(address.as_str()) {
                    Some(user) if user.status == user::ACTIVE => user.clone(),
                    Some(_) => return Err(Rejection::InactiveSubject),
                    None => return Err(Rejection::UnknownSubject),
                },
            };
            Ok(Finished {
                user_id: user.id,
                email: user.email,
                token_epoch: user.token_epoch,
                next: NextPath::or_default(item.request.next_path.as_deref()),
                replaces: item.replaces,
            })
        })
        .collect())
}
