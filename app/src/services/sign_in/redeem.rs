//! Spending checked sign-in links: the writer's step for them (see `writer`).

use std::time::{Duration, SystemTime};

use sea_orm::{DatabaseTransaction, DbErr};
use tokens::Rejection;

use super::finish::{Finishing, finish_many};
use super::link_check::ValidLink;
use super::signed_in::{SignedIn, start_sessions};
use crate::services::activity::{self, Event};

/// A checked link to spend, with the time it was presented.
pub struct Spend {
    pub link: ValidLink,
    /// Where it was presented from, for the security activity.
    pub from: activity::Origin,
    /// The browser's current session, ended by signing in.
    pub replaces: Option<String>,
    pub now: SystemTime,
}

/// Spends `links` in the caller's transaction and signs their holders in, each with a new
/// session lasting `idle`; answers each, in order. A link that another request spent since
/// it was checked is refused. `kept_for`: see `finish_many`.
pub(super) async fn spend(
    txn: &DatabaseTransaction,
    links: &[&Spend],
    idle: Duration,
    kept_for: Duration,
) -> Result<Vec<Result<SignedIn, Rejection>>, DbErr> {
    // A batch is written at one instant: the latest of its requests' clocks.
    let Some(now) = links.iter().map(|l| l.now).max() else {
        return Ok(Vec::new());
    };
    let (tokens, finishing): (Vec<_>, Vec<_>) = links
        .iter()
        .map(|Spend { link, from, replaces, .. }| {
            let (request, user) = (link.request.clone(), link.user.clone());
            let (from, replaces) = (from.clone(), replaces.clone());
            (&link.token, Finishing { request, user, from, replaces })
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
    let finished = finish_many(txn, items, kept_for, now).await?;
    let started = start_sessions(txn, finished, &Event::SignedInWithLink, now, idle).await?;
    for (index, started) in waiting.into_iter().zip(started) {
        answers[index] = Some(started);
    }
    answers
        .into_iter()
        .map(|a| a.ok_or_else(|| DbErr::Custom("a spent link was left unanswered".into())))
        .collect()
}
