//! Checking and spending sign-in links, in batches. Checks are reads, batched on their own
//! (one query per table for all the links presented at one moment); spending is a write,
//! done by the writer (see `writer`) in one transaction with whatever else is waiting. The
//! two stages overlap: while one batch is being spent, the next is being checked.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sea_orm::{
    ColumnTrait as _, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait as _,
    QueryFilter as _,
};
use tokens::{Rejection, Revocation, Scope, Subject, Unredeemed, Unverified, Verified};

use crate::entities::{sign_in_request, user};
use crate::services::batcher::{Batch, Batcher, Placement};
use crate::services::session_auth;
use crate::services::sign_in::SignedIn;
use crate::services::sign_in_finish::{Finishing, finish_many};
use crate::services::time::unix_secs;

/// A link as presented, with the time it was.
pub struct Presented {
    pub token: String,
    pub now: SystemTime,
}

/// Checks sign-in links, several per query under load.
pub type LinkChecker = Batcher<LinkChecks>;

/// Starts the link checker, reading through `read`.
pub fn start_checker(
    read: DatabaseConnection,
    login: Arc<Scope>,
    placement: Placement,
) -> LinkChecker {
    Batcher::start(LinkChecks { read, login }, placement)
}

pub struct LinkChecks {
    read: DatabaseConnection,
    login: Arc<Scope>,
}

impl Batch for LinkChecks {
    type Job = Presented;
    type Done = Result<ValidLink, Rejection>;

    async fn run(&self, links: Vec<Presented>) -> Result<Vec<Self::Done>, DbErr> {
        verify(&self.read, &self.login, links.iter().map(|l| (l.token.as_str(), l.now))).await
    }
}

/// A checked link to spend, with the time it was presented.
pub struct Spend {
    pub link: ValidLink,
    /// The browser's current session, ended by signing in.
    pub replaces: Option<String>,
    pub now: SystemTime,
}

/// Spends `links` in the caller's transaction and signs their holders in, each with a new
/// session lasting `idle`; answers each, in order. A link that another request spent since
/// it was checked is refused.
pub(crate) async fn spend(
    txn: &DatabaseTransaction,
    links: Vec<Spend>,
    idle: Duration,
) -> Result<Vec<Result<SignedIn, Rejection>>, DbErr> {
    // A batch is written at one instant: the latest of its requests' clocks.
    let Some(now) = links.iter().map(|l| l.now).max() else {
        return Ok(Vec::new());
    };
    let (tokens, finishing): (Vec<_>, Vec<_>) = links
        .into_iter()
        .map(|Spend { link, replaces, .. }| {
            (link.token, Finishing { request: link.request, user: link.user, replaces })
        })
        .unzip();
    let redeemed = tokens::store::redeem_many(txn, tokens, now).await?;
    // Only the links whose redemption won go on; the others are answered now.
    let mut answers: Vec<Option<Result<SignedIn, Rejection>>> = Vec::with_capacity(redeemed.len());
    let (mut waiting, mut items) = (Vec::new(), Vec::new());
    for (index, (redeemed, item)) in redeemed.into_iter().zip(finishing).enumerate() {
        match redeemed {
            Ok(_) => {
                waiting.push(index);
                items.push(item);
                answers.push(None);
            }
            Err(rejection) => answers.push(Some(Err(rejection))),
        }
    }
    let finished = finish_many(txn, items, now).await?;
    let started = session_auth::start_sessions(txn, finished, now, idle).await?;
    for (index, started) in waiting.into_iter().zip(started) {
        answers[index] = Some(started);
    }
    answers
        .into_iter()
        .map(|a| a.ok_or_else(|| DbErr::Custom("a spent link was left unanswered".into())))
        .collect()
}

/// A genuine, live link, not yet redeemed.
pub struct ValidLink {
    pub token: Unredeemed,
    pub request: sign_in_request::Model,
    /// The account the link was minted for, if the address had one then.
    pub user: Option<user::Model>,
}

/// Opens and verifies links against their subjects' current revocation material, and
/// checks the requests they are bound to are still live: one query per table for all.
async fn verify<'a>(
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
