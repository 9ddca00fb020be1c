//! Checking sign-in links, in batches: reads only (one query per table for all the links
//! presented at one moment). Spending is a write, done by the writer (see `redeem`) in one
//! transaction with whatever else is waiting; the two stages overlap, so while one batch is
//! being spent the next is being checked.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::SystemTime;

use sea_orm::{ColumnTrait as _, DatabaseConnection, DbErr, EntityTrait as _, QueryFilter as _};
use tokens::{Rejection, Revocation, Subject, Unverified, Verified};

use crate::entities::{sign_in_request, user};
use crate::services::Scopes;
use crate::services::accounts;
use crate::services::batcher::{Batch, Batcher, Placement};
use crate::services::time::unix_secs;

/// A link as presented, with the time it was.
pub struct Presented {
    pub token: String,
    pub now: SystemTime,
}

/// Checks sign-in links, several per query under load.
pub type LinkChecker = Batcher<LinkChecks>;

/// Starts the link checker, reading through `read`.
pub(super) fn start(
    read: DatabaseConnection,
    scopes: Arc<Scopes>,
    placement: Placement,
) -> LinkChecker {
    Batcher::start(LinkChecks { read, scopes }, placement)
}

pub struct LinkChecks {
    read: DatabaseConnection,
    scopes: Arc<Scopes>,
}

impl Batch for LinkChecks {
    type Job = Presented;
    type Done = Result<ValidLink, Rejection>;

    async fn run(&self, links: &[Presented]) -> Result<Vec<Self::Done>, DbErr> {
        verify(&self.read, &self.scopes, links.iter().map(|l| (l.token.as_str(), l.now))).await
    }
}

/// A genuine link whose request was live when checked. Spending it is consuming that
/// request (`finish`), which also refuses a link spent since.
pub struct ValidLink {
    /// When the link itself expires (its max-age from issue); its request may outlive it.
    pub expires_at: Option<SystemTime>,
    pub request: sign_in_request::Model,
    /// The account the link was minted for, if the address had one then.
    pub user: Option<user::Model>,
}

/// Opens and verifies links against their subjects' current revocation material, and
/// checks the requests they are bound to are still live: one query per table for all.
async fn verify<'a>(
    db: &DatabaseConnection,
    scopes: &'a Scopes,
    presented: impl Iterator<Item = (&'a str, SystemTime)>,
) -> Result<Vec<Result<ValidLink, Rejection>>, DbErr> {
    let opened: Vec<_> = presented
        .map(|(token, now)| {
            let unverified = open(scopes, token)?;
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

/// Opens a sign-in link, in today's layout or in the one with a nonce (see
/// `Scopes::login_with_nonce`): a token's flags say whether it carries a nonce, and under
/// the other layout's scope it is `Malformed`.
fn open<'a>(scopes: &'a Scopes, token: &str) -> Result<Unverified<'a>, Rejection> {
    match scopes.login.open(token) {
        Err(Rejection::Malformed) => scopes.login_with_nonce.open(token),
        opened => opened,
    }
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
        Some(user) => accounts::revocation(user),
        None => pending_revocation(request),
    };
    let resource = u64::try_from(request.id).unwrap_or(0);
    // Either way the link is spent by its request row (see `Scopes::login_with_nonce`).
    let expires_at = match unverified.verify(&revocation, now, Some(resource))? {
        Verified::Reusable(claims) => claims.expires_at(),
        Verified::SingleUse(with_nonce) => with_nonce.claims().expires_at(),
    };
    // The account's address is in the tag; a link minted for an account must also be for
    // a request to that same address.
    if user.is_some_and(|u| u.email != request.email) {
        return Err(Rejection::WrongResource);
    }
    // A guest may sign in by email: that is how its person takes the account over.
    if user.is_some_and(|u| u.status != user::ACTIVE && u.status != user::GUEST) {
        return Err(Rejection::InactiveSubject);
    }
    if request.consumed_at.is_some() {
        return Err(Rejection::AlreadyUsed);
    }
    if request.expires_at <= unix_secs(now) {
        return Err(Rejection::Expired);
    }
    Ok(ValidLink { expires_at, request: request.clone(), user: user.cloned() })
}

/// What a link minted for an address without an account is signed under: the request's
/// address, at epoch 0. The request is single-use, so nothing else needs revoking.
pub(super) fn pending_revocation(request: &sign_in_request::Model) -> Revocation<'_> {
    Revocation { epoch: 0, email: &request.email }
}

/// The request of a genuine `login` link that was spent or expired, if its account (when
/// it had one) may still sign in: its tag verifies under the account's current epoch and
/// address, so signing out everywhere or changing the address disqualifies it too.
pub(super) async fn dead_link_request(
    db: &DatabaseConnection,
    scopes: &Scopes,
    token: &str,
    now: SystemTime,
) -> Result<Option<sign_in_request::Model>, DbErr> {
    let Ok(unverified) = open(scopes, token) else { return Ok(None) };
    let Ok(rows) = rows_of(&unverified) else { return Ok(None) };
    let Some(request) = sign_in_request::Entity::find_by_id(rows.request).one(db).await? else {
        return Ok(None);
    };
    let user = match rows.user {
        Some(id) => match user::Entity::find_by_id(id).one(db).await? {
            Some(user) => Some(user),
            None => return Ok(None),
        },
        None => None,
    };
    // Expiry is checked after the tag, so `Expired` too means the tag verified. A live link
    // whose code tries are used up cannot sign in where the code is asked for.
    match check(unverified, &request, user.as_ref(), now) {
        Err(Rejection::AlreadyUsed | Rejection::Expired) => {}
        Ok(_) if request.code_attempts >= super::MAX_CODE_ATTEMPTS => {}
        _ => return Ok(None),
    }
    // A link minted before the address had an account answers for the account it has now.
    let user = match user {
        Some(user) => Some(user),
        None => accounts::holder_of(db, &request.email).await?,
    };
    let in_good_standing = user.as_ref().is_none_or(|u| {
        (u.status == user::ACTIVE || u.status == user::GUEST) && u.email == request.email
    });
    Ok(in_good_standing.then_some(request))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use migrations::test_database;
    use sea_orm::ActiveModelTrait as _;
    use tokens::{KeyRing, Secret};

    use super::*;
    use crate::services::Purposes;
    use crate::services::sign_in::requests::Pending;

    /// A link minted before sign-in links were spent by their request row (with a nonce,
    /// under that layout's key) checks out as today's do, bound to its request; a token of
    /// another purpose, in either layout, does not.
    #[tokio::test]
    async fn links_in_either_layout_check_out() {
        let database = test_database::sqlite().await.unwrap();
        let db = &database.db;
        let now = SystemTime::now();
        let scopes = Scopes::new(&KeyRing::new(Secret::generate()), &Purposes::default());
        let pending = Pending::for_tests("dave@example.com", now);
        let request = pending.row(true, Duration::from_secs(900)).insert(db).await.unwrap();
        let id = u64::try_from(request.id).unwrap();
        let mint = |scope: &tokens::Scope| {
            scope.mint(Subject::SignInRequest(id), Some(id), &pending_revocation(&request), now)
        };
        let tokens = [
            mint(&scopes.login_with_nonce),
            mint(&scopes.login),
            mint(&scopes.report),
            mint(&scopes.ws),
        ];
        let checked = verify(db, &scopes, tokens.iter().map(|t| (t.as_str(), now))).await.unwrap();
        for link in &checked[..2] {
            assert!(
                matches!(link, Ok(link) if link.request.id == request.id && link.user.is_none())
            );
        }
        assert!(matches!(
            checked[2..],
            [Err(Rejection::BadSignature), Err(Rejection::BadSignature)]
        ));
    }
}
