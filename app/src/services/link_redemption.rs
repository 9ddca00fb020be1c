//! Checking and redeeming sign-in links. Redemptions go through group commit (see
//! `group_commit`): the links waiting at one moment are verified with one query per table,
//! and spent, with the sign-ins they grant, in one transaction of a few statements.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::SystemTime;

use sea_orm::{
    ColumnTrait as _, DatabaseConnection, DbErr, EntityTrait as _, QueryFilter as _,
    TransactionTrait as _,
};
use tokens::{Rejection, Revocation, Scope, Subject, Unredeemed, Unverified, Verified};

use crate::entities::{sign_in_request, user};
use crate::services::Db;
use crate::services::group_commit::{Batch, GroupCommit};
use crate::services::sign_in::SignedIn;
use crate::services::sign_in_finish::{Finishing, finish_many};
use crate::services::time::unix_secs;

/// A link to spend, with the time it was presented.
pub struct Redemption {
    pub token: String,
    pub now: SystemTime,
}

/// Redeems sign-in links, several per transaction under load.
pub type Redemptions = GroupCommit<RedemptionBatch>;

/// Starts the redemption writer (on the current Tokio runtime).
pub fn start(db: Db, login: Arc<Scope>) -> Redemptions {
    GroupCommit::start(RedemptionBatch { db, login })
}

pub struct RedemptionBatch {
    db: Db,
    login: Arc<Scope>,
}

impl Batch for RedemptionBatch {
    type Job = Redemption;
    type Done = Result<SignedIn, Rejection>;

    async fn write(&self, jobs: Vec<Redemption>) -> Result<Vec<Self::Done>, DbErr> {
        // A batch is written at one instant: the latest of its requests' clocks.
        let now = jobs.iter().map(|j| j.now).max().unwrap_or_else(SystemTime::now);
        let presented = jobs.iter().map(|j| (j.token.as_str(), j.now));
        let checked = verify(&self.db.read, &self.login, presented).await?;

        let mut answers: Vec<Option<Self::Done>> = Vec::with_capacity(jobs.len());
        let (mut waiting, mut tokens, mut finishing) = (Vec::new(), Vec::new(), Vec::new());
        for (index, checked) in checked.into_iter().enumerate() {
            match checked {
                Ok(valid) => {
                    waiting.push(index);
                    tokens.push(valid.token);
                    finishing.push(Finishing { request: valid.request, user: valid.user });
                    answers.push(None);
                }
                Err(rejection) => answers.push(Some(Err(rejection))),
            }
        }
        if !tokens.is_empty() {
            let txn = self.db.write.begin().await?;
            // Redeem first: on SQLite that takes the write lock before anything is read.
            let redeemed = tokens::store::redeem_many(&txn, tokens, now).await?;
            let mut spent = Vec::with_capacity(redeemed.len());
            for ((index, redeemed), item) in waiting.into_iter().zip(redeemed).zip(finishing) {
                match redeemed {
                    Ok(_) => spent.push((index, item)),
                    Err(rejection) => answers[index] = Some(Err(rejection)),
                }
            }
            let (indices, items): (Vec<usize>, Vec<Finishing>) = spent.into_iter().unzip();
            let finished = finish_many(&txn, items, now).await?;
            txn.commit().await?;
            for (index, finished) in indices.into_iter().zip(finished) {
                answers[index] = Some(finished);
            }
        }
        Ok(answers.into_iter().map(|a| a.unwrap_or(Err(Rejection::AlreadyUsed))).collect())
    }
}

/// A genuine, live link, not yet redeemed.
pub(crate) struct ValidLink {
    pub token: Unredeemed,
    pub request: sign_in_request::Model,
    /// The account the link was minted for, if the address had one then.
    pub user: Option<user::Model>,
}

/// Opens and verifies links against their subjects' current revocation material, and
/// checks the requests they are bound to are still live: one query per table for all.
pub(crate) async fn verify<'a>(
    db: &DatabaseConnection,
    login: &Scope,
    presented: impl Iterator<Item = (&'a str, SystemTime)>,
) -> Result<Vec<Result<ValidLink, Rejection>>, DbErr> {
    let opened: Vec<_> = presented
        .map(|(token, now)| {
            let unverified = login.open(token)?;
            let rows = rows_of(&unverified)?;
            Ok((unverified, rows, now))
        })
        .collect();
    let request_ids: BTreeSet<i64> = opened.iter().flatten().map(|(_, r, _)| r.request).collect();
    let user_ids: BTreeSet<i64> = opened.iter().flatten().filter_map(|(_, r, _)| r.user).collect();
    // Both at once, on two connections: each query is a round trip to its connection.
    let (requests, users) = tokio::try_join!(
        async {
            if request_ids.is_empty() {
                return Ok(Vec::new());
            }
            let requests = sign_in_request::Column::Id.is_in(request_ids);
            sign_in_request::Entity::find().filter(requests).all(db).await
        },
        async {
            if user_ids.is_empty() {
                return Ok(Vec::new());
            }
            user::Entity::find().filter(user::Column::Id.is_in(user_ids)).all(db).await
        },
    )?;
    let requests: HashMap<i64, _> = requests.into_iter().map(|r| (r.id, r)).collect();
    let users: HashMap<i64, _> = users.into_iter().map(|u| (u.id, u)).collect();
    Ok(opened
        .into_iter()
        .map(|opened| {
            let (unverified, rows, now) = opened?;
            let request = requests.get(&rows.request).ok_or(Rejection::UnknownSubject)?;
            let user = match rows.user {
                Some(id) => Some(users.get(&id).ok_or(Rejection::UnknownSubject)?),
                None => None,
            };
            check(unverified, request, user, now)
        })
        .collect())
}

/// The rows a link names: its request and, when minted for an account, that account.
struct LinkRows {
    request: i64,
    user: Option<i64>,
}

/// Untrusted until verified, but enough to load what the tag must be checked against.
fn rows_of(unverified: &Unverified<'_>) -> Result<LinkRows, Rejection> {
    let request = unverified
        .resource()
        .and_then(|r| i64::try_from(r).ok())
        .ok_or(Rejection::WrongResource)?;
    let user = match unverified.subject() {
        Subject::User(id) => Some(i64::try_from(id).map_err(|_| Rejection::UnknownSubject)?),
        Subject::SignInRequest(id) if i64::try_from(id) == Ok(request) => None,
        Subject::SignInRequest(_) => return Err(Rejection::WrongResource),
    };
    Ok(LinkRows { request, user })
}

fn check(
    unverified: Unverified<'_>,
    request: &sign_in_request::Model,
    user: Option<&user::Model>,
    now: SystemTime,
) -> Result<ValidLink, Rejection> {
    let revocation = match user {
        Some(user) => {
            Revocation { epoch: u64::try_from(user.token_epoch).unwrap_or(0), email: &user.email }
        }
        None => Revocation { epoch: 0, email: &request.email },
    };
    let resource = u64::try_from(request.id).unwrap_or(0);
    let token = match unverified.verify(&revocation, now, Some(resource))? {
        Verified::SingleUse(token) => token,
        // `login` is single-use by construction; anything else is not one of our links.
        Verified::Reusable(_) => return Err(Rejection::Malformed),
    };
    // The account's address is in the tag; a link minted for an account must also be for
    // a request to that same address.
    if user.is_some_and(|u| u.email != request.email) {
        return Err(Rejection::WrongResource);
    }
    if user.is_some_and(|u| u.status != user::ACTIVE) {
        return Err(Rejection::InactiveSubject);
    }
    if request.consumed_at.is_some() {
        return Err(Rejection::AlreadyUsed);
    }
    if request.expires_at <= unix_secs(now) {
        return Err(Rejection::Expired);
    }
    Ok(ValidLink { token, request: request.clone(), user: user.cloned() })
}
