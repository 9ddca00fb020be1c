//! The one check every reusable link goes through (report links, shares and personal
//! links; API tokens as they come): open the token, load the row it is bound to together with
//! that row's account (one query: a link is opened on every view), verify the tag against
//! the account's current revocation material, then ask the row whether it still grants
//! anything.
//!
//! The order is the security argument. Nothing about the row is said before the tag
//! verifies, so a guessed or altered token learns nothing, not even whether a row id
//! exists; only a genuine token can hear that its row is revoked or expired.

use std::future::Future;
use std::time::SystemTime;

use sea_orm::DbErr;
use tokens::{Claims, Rejection, Revocation, Scope, Subject, Verified};

use crate::entities::user;
use crate::services::accounts;

/// A row a reusable link is bound to: the token's resource names it.
pub trait LinkRow {
    /// The account the token speaks for, whose revocation material signs it.
    fn account_id(&self) -> i64;
    /// The material the token is signed under. By default the account's, so that the
    /// account's "sign out everywhere" and email change revoke the link; a row whose link
    /// must outlive those (a share) answers its own.
    fn revocation<'a>(&'a self, account: &'a user::Model) -> Revocation<'a> {
        accounts::revocation(account)
    }
    /// Whether the row still grants what the link opens.
    fn state(&self, now: SystemTime) -> Result<(), Gone>;
}

/// Why a genuine link opens nothing any more. Safe to tell its holder: it verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gone {
    Expired,
    Revoked,
}

/// Why a link was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not a working link of this purpose: malformed, forged, for another resource, or
    /// revoked with its account's material. The reason is for logs only.
    Invalid(Rejection),
    /// Genuine, but its row says no.
    Gone(Gone),
}

impl From<Rejection> for Refused {
    fn from(rejection: Rejection) -> Self {
        Self::Invalid(rejection)
    }
}

/// A link that checked out: its account, its row and what the token says.
#[derive(Debug)]
pub struct Opened<R> {
    pub account: user::Model,
    pub row: R,
    pub claims: Claims,
}

/// Checks `token` under `scope`, loading its row and the row's account with `load` (by the
/// row id the token names; `None` when there is no such row).
pub async fn open<R, F>(
    scope: &Scope,
    token: &str,
    now: SystemTime,
    load: impl FnOnce(i64) -> F,
) -> Result<Result<Opened<R>, Refused>, DbErr>
where
    R: LinkRow,
    F: Future<Output = Result<Option<(R, user::Model)>, DbErr>>,
{
    let unverified = match scope.open(token) {
        Ok(unverified) => unverified,
        Err(rejection) => return Ok(Err(rejection.into())),
    };
    let Subject::User(account_id) = unverified.subject() else {
        return Ok(Err(Rejection::UnknownSubject.into()));
    };
    let (Ok(account_id), Some(resource)) =
        (i64::try_from(account_id), unverified.resource().and_then(|r| i64::try_from(r).ok()))
    else {
        return Ok(Err(Rejection::Malformed.into()));
    };
    // No row, or a row of another account than the token claims: nothing to verify
    // against. Said the same way as a bad tag to the caller's visitor (one generic page).
    let Some((row, account)) = load(resource).await? else {
        return Ok(Err(Rejection::WrongResource.into()));
    };
    if account.id != account_id || row.account_id() != account.id {
        return Ok(Err(Rejection::WrongResource.into()));
    }
    let resource = u64::try_from(resource).unwrap_or_default();
    let claims = match unverified.verify(&row.revocation(&account), now, Some(resource)) {
        Ok(Verified::Reusable(claims)) => claims,
        // A reusable purpose never yields a single-use token; refuse rather than skip it.
        Ok(Verified::SingleUse(_)) => return Ok(Err(Rejection::Malformed.into())),
        Err(rejection) => return Ok(Err(rejection.into())),
    };
    // Genuine from here on.
    if account.status != user::ACTIVE {
        return Ok(Err(Rejection::InactiveSubject.into()));
    }
    if let Err(gone) = row.state(now) {
        return Ok(Err(Refused::Gone(gone)));
    }
    Ok(Ok(Opened { account, row, claims }))
}
