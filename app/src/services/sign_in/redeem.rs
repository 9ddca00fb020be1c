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
/// session lasting `idle`; answers each, in order. A link is spent by consuming its request
/// (`finish_many`): one whose request was consumed since it was checked, by its code or by
/// another request presenting it, is refused. `kept_for`: see `finish_many`.
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
    let mut answers: Vec<Option<Result<SignedIn, Rejection>>> = Vec::with_capacity(links.len());
    let (mut waiting, mut items) = (Vec::new(), Vec::new());
    for (index, Spend { link, from, replaces, .. }) in links.iter().enumerate() {
        // A link whose max-age ran out since it was checked is refused, as at the check: its
        // request may outlive it (say, a shorter max-age configured since the request).
        if link.expires_at.is_some_and(|at| at <= now) {
            answers.push(Some(Err(Rejection::Expired)));
            continue;
        }
        let (request, user) = (link.request.clone(), link.user.clone());
        let (from, replaces) = (from.clone(), replaces.clone());
        waiting.push(index);
        items.push(Finishing { request, user, from, replaces });
        answers.push(None);
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use migrations::test_database;
    use sea_orm::{ActiveModelTrait as _, EntityTrait as _, TransactionTrait as _};

    use super::*;
    use crate::entities::sign_in_request;
    use crate::services::scopes::KEPT_AT_MOST;
    use crate::services::sign_in::requests::Pending;

    const IDLE: Duration = Duration::from_secs(3600);

    fn presented(
        request: sign_in_request::Model,
        expires_at: SystemTime,
        now: SystemTime,
    ) -> Spend {
        let link = ValidLink { expires_at: Some(expires_at), request, user: None };
        let from = activity::Origin { ip: [192, 0, 2, 1].into(), user_agent: String::new() };
        Spend { link, from, replaces: None, now }
    }

    /// Spending is consuming the request: a link whose own max-age ran out between its
    /// check and its batch's clock is refused and leaves its request live, as the nonce's
    /// redemption did; a live link consumes its request, and a second spend of it, in the
    /// same batch or later, is refused. Each answer keeps its place in the batch.
    #[tokio::test]
    async fn a_link_is_spent_by_its_request_within_its_own_max_age() {
        let database = test_database::sqlite().await.unwrap();
        let db = &database.db;
        let now = SystemTime::now();
        let a = Pending::for_tests("carol@example.com", now)
            .row(true, Duration::from_secs(3600))
            .insert(db)
            .await
            .unwrap();
        let b = Pending::for_tests("erin@example.com", now)
            .row(true, Duration::from_secs(3600))
            .insert(db)
            .await
            .unwrap();
        let later = now + Duration::from_secs(1);

        let (expired, live) = (presented(a.clone(), now, now), presented(b, later, now));
        let txn = db.begin().await.unwrap();
        let answers = spend(&txn, &[&expired, &live, &live], IDLE, KEPT_AT_MOST).await.unwrap();
        txn.commit().await.unwrap();
        assert!(matches!(
            &answers[..],
            [Err(Rejection::Expired), Ok(signed_in), Err(Rejection::AlreadyUsed)]
                if signed_in.email == "erin@example.com"
        ));
        let row = sign_in_request::Entity::find_by_id(a.id).one(db).await.unwrap().unwrap();
        assert_eq!(row.consumed_at, None);

        let live = presented(a, later, now);
        for expected in [None, Some(Rejection::AlreadyUsed)] {
            let txn = db.begin().await.unwrap();
            let answers = spend(&txn, &[&live], IDLE, KEPT_AT_MOST).await.unwrap();
            txn.commit().await.unwrap();
            assert_eq!(answers.into_iter().next().unwrap().err(), expected);
        }
    }
}
