//! The last step of every sign-in, by link or by code: consume the request and sign its
//! address in (creating the account on first sign-in), inside the caller's transaction.
//! Several at once, with one statement per step whatever their number, so that redeeming
//! links by group commit costs no more round trips than redeeming one.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, SystemTime};

use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict};
use sea_orm::{
    ColumnTrait as _, Condition, ConnectionTrait, DbErr, EntityTrait as _, QueryFilter as _, Set,
};
use tokens::Rejection;

use crate::domain::{EmailAddress, NextPath};
use crate::entities::{sign_in_request, user};
use crate::services::time::unix_secs;
use crate::services::{accounts, activity};

/// An account signed in, before its session starts. (No `Debug`: it carries the browser's
/// session id.)
pub(super) struct Finished {
    pub user_id: i64,
    pub email: String,
    pub token_epoch: i64,
    /// Where to go next.
    pub next: String,
    /// Where the sign-in came from, for the security activity.
    pub from: activity::Origin,
    /// The browser's current session, which the new one replaces.
    pub replaces: Option<String>,
}

/// A request whose link or code checked out, about to be finished.
pub(super) struct Finishing {
    pub request: sign_in_request::Model,
    /// The account the link or code was checked against, if the address had one then.
    pub user: Option<user::Model>,
    /// Where the link or code was presented from.
    pub from: activity::Origin,
    /// The browser's current session, ended by signing in.
    pub replaces: Option<String>,
}

/// Finishes each of `items`, answering in order. A request finishes once: of two items for
/// one request, the first wins. An account whose revocation material (status, epoch,
/// address) changed between its check and this transaction's read of it is refused; one
/// that changes after that read (on PostgreSQL, whose transactions overlap) gets a session
/// its first load ends. Refusals are answers, not errors: the
/// request stays consumed if the caller commits (the writer does, for a batch of links, as
/// whatever refused them revoked them anyway; a lone code rolls back). An address kept for
/// another account (see `accounts::Reserved`; `kept_for`: `Scopes::address_kept_for`) signs
/// nobody in.
pub(super) async fn finish_many(
    txn: &impl ConnectionTrait,
    items: Vec<Finishing>,
    kept_for: Duration,
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

    // Neither a new account nor a guest made there since may take an address kept for the
    // account that left it. (Its sign-in email said so, and carried no link or code.)
    let holders: HashMap<&str, Option<i64>> = checked
        .iter()
        .flatten()
        .filter(|(item, _)| item.user.as_ref().is_none_or(|u| u.status == user::GUEST))
        .map(|(item, address)| (address.as_str(), item.user.as_ref().map(|u| u.id)))
        .collect();
    let kept: HashSet<String> = if holders.is_empty() {
        HashSet::new()
    } else {
        accounts::reservations(txn, holders.keys().copied(), kept_for, now)
            .await?
            .into_iter()
            .filter(|(email, kept)| holders.get(email.as_str()) != Some(&Some(kept.user_id)))
            .map(|(email, _)| email)
            .collect()
    };
    let checked: Vec<Result<(Finishing, EmailAddress), Rejection>> = checked
        .into_iter()
        .map(|checked| match checked {
            Ok((_, address)) if kept.contains(address.as_str()) => Err(Rejection::InactiveSubject),
            other => other,
        })
        .collect();

    // Known accounts sign in only if nothing revoked them since they were checked. A read
    // is enough: every load checks the session's epoch against the account's, and its
    // status, so a revocation committed after this read still ends the session.
    let unchanged = |accounts: &[&user::Model]| {
        accounts.iter().fold(Condition::any(), |any, u| {
            any.add(
                Condition::all()
                    .add(user::Column::Id.eq(u.id))
                    .add(user::Column::TokenEpoch.eq(u.token_epoch))
                    .add(user::Column::Email.eq(&u.email)),
            )
        })
    };
    let (guests, members): (Vec<&user::Model>, Vec<&user::Model>) = checked
        .iter()
        .flatten()
        .filter_map(|(item, _)| item.user.as_ref())
        .partition(|u| u.status == user::GUEST);
    let material = |u: user::Model| (u.id, u.token_epoch, u.email);
    // Whole material, not ids: two links of one account in a batch, one checked before
    // and one after its epoch changed, must not vouch for each other.
    let mut still_valid: HashSet<(i64, i64, String)> = if members.is_empty() {
        HashSet::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Status.eq(user::ACTIVE))
            .filter(unchanged(&members))
            .all(txn)
            .await?
            .into_iter()
            .map(material)
            .collect()
    };
    // A guest account (made by someone's share) becomes an ordinary one, shares and all,
    // once its person signs in by email.
    if !guests.is_empty() {
        let promoted = user::Entity::update_many()
            .col_expr(user::Column::Status, Expr::value(user::ACTIVE))
            .filter(user::Column::Status.is_in([user::ACTIVE, user::GUEST]))
            .filter(unchanged(&guests))
            .exec_with_returning(txn)
            .await?;
        still_valid.extend(promoted.into_iter().map(material));
    }

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
            ..Default::default()
        }))
        // An existing account is returned only if active or a guest (which becomes active):
        // a deactivated one is left untouched and comes back missing.
        .on_conflict(
            OnConflict::column(user::Column::Email)
                .update_columns([user::Column::Status])
                .action_and_where(
                    Expr::col((user::Entity, user::Column::Status))
                        .is_in([user::ACTIVE, user::GUEST]),
                )
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
                Some(user)
                    if still_valid.contains(&(user.id, user.token_epoch, user.email.clone())) =>
                {
                    user
                }
                Some(_) => return Err(Rejection::BadSignature),
                None => match accounts.get(address.as_str()) {
                    Some(user) if user.status == user::ACTIVE => user.clone(),
                    _ => return Err(Rejection::InactiveSubject),
                },
            };
            Ok(Finished {
                user_id: user.id,
                email: user.email,
                token_epoch: user.token_epoch,
                next: NextPath::or_default(item.request.next_path.as_deref()),
                from: item.from,
                replaces: item.replaces,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use migrations::test_database;
    use sea_orm::{ActiveModelTrait as _, TransactionTrait as _};

    use super::*;
    use crate::services::accounts;
    use crate::services::scopes::KEPT_AT_MOST;
    use crate::services::sign_in::requests::Pending;

    async fn request(
        db: &impl ConnectionTrait,
        email: &str,
        now: SystemTime,
    ) -> sign_in_request::Model {
        let pending = Pending::for_tests(email, now);
        pending.row(true, Duration::from_secs(900)).insert(db).await.unwrap()
    }

    fn item(request: sign_in_request::Model, user: Option<user::Model>) -> Finishing {
        let from = activity::Origin { ip: [192, 0, 2, 1].into(), user_agent: String::new() };
        Finishing { request, user, from, replaces: None }
    }

    /// Two links of one account in one batch, checked either side of an epoch bump: only
    /// the one checked against the current epoch signs in.
    #[tokio::test]
    async fn each_link_answers_for_its_own_revocation_material() {
        let database = test_database::sqlite().await.unwrap();
        let db = &database.db;
        let now = SystemTime::now();
        let alice = EmailAddress::parse("alice@example.com").unwrap();
        let before = accounts::create(db, &alice).await.unwrap();
        let (first, second) = (
            request(db, "alice@example.com", now).await,
            request(db, "alice@example.com", now).await,
        );
        user::Entity::update_many()
            .col_expr(user::Column::TokenEpoch, Expr::value(1))
            .exec(db)
            .await
            .unwrap();
        let after = user::Entity::find_by_id(before.id).one(db).await.unwrap();

        let txn = db.begin().await.unwrap();
        let items = vec![item(first, Some(before)), item(second, after)];
        let answers = finish_many(&txn, items, KEPT_AT_MOST, now).await.unwrap();
        assert!(matches!(answers[0], Err(Rejection::BadSignature)));
        assert!(matches!(&answers[1], Ok(finished) if finished.token_epoch == 1));
    }

    /// An account deactivated after its link was checked, as an ordinary account or as a
    /// guest, is refused and stays deactivated.
    #[tokio::test]
    async fn an_account_deactivated_since_its_check_is_refused() {
        let database = test_database::sqlite().await.unwrap();
        let db = &database.db;
        let now = SystemTime::now();
        for (email, status) in
            [("carol@example.com", user::ACTIVE), ("gus@example.com", user::GUEST)]
        {
            let address = EmailAddress::parse(email).unwrap();
            let mut checked = accounts::create(db, &address).await.unwrap();
            checked.status = status.to_owned();
            let pending = request(db, email, now).await;
            user::Entity::update_many()
                .col_expr(user::Column::Status, Expr::value(user::DEACTIVATED))
                .filter(user::Column::Id.eq(checked.id))
                .exec(db)
                .await
                .unwrap();

            let txn = db.begin().await.unwrap();
            let items = vec![item(pending, Some(checked.clone()))];
            let answers = finish_many(&txn, items, KEPT_AT_MOST, now).await.unwrap();
            assert!(matches!(answers[..], [Err(Rejection::BadSignature)]), "{status}");
            let account = user::Entity::find_by_id(checked.id).one(&txn).await.unwrap().unwrap();
            assert_eq!(account.status, user::DEACTIVATED, "{status}");
        }
    }

    /// A first sign-in for an address whose account appeared meanwhile, deactivated, is
    /// refused and leaves that account as it was.
    #[tokio::test]
    async fn a_deactivated_account_is_neither_signed_in_nor_reactivated() {
        let database = test_database::sqlite().await.unwrap();
        let db = &database.db;
        let now = SystemTime::now();
        let bob = EmailAddress::parse("bob@example.com").unwrap();
        let pending = request(db, "bob@example.com", now).await;
        let account = accounts::create(db, &bob).await.unwrap();
        user::Entity::update_many()
            .col_expr(user::Column::Status, Expr::value(user::DEACTIVATED))
            .exec(db)
            .await
            .unwrap();

        let txn = db.begin().await.unwrap();
        let answers =
            finish_many(&txn, vec![item(pending, None)], KEPT_AT_MOST, now).await.unwrap();
        assert!(matches!(answers[..], [Err(Rejection::InactiveSubject)]));
        let account = user::Entity::find_by_id(account.id).one(&txn).await.unwrap().unwrap();
        assert_eq!(account.status, user::DEACTIVATED);
    }
}
