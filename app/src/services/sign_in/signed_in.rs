//! A finished sign-in with its new session: what every way of signing in answers.

use std::time::{Duration, SystemTime};

use sea_orm::{ConnectionTrait, DbErr};
use tokens::Rejection;

use super::finish::Finished;
use crate::services::activity::{self, Event};
use crate::services::sessions;

/// Who has just signed in, where they go next, and the session that started.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub user_id: i64,
    pub email: String,
    pub token_epoch: i64,
    pub next: String,
    /// For the cookie (see `sessions::cookie`).
    pub session_id: String,
}

/// The session id is a bearer credential: never in a log line or a panic message.
impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("user_id", &self.user_id)
            .field("email", &self.email)
            .field("token_epoch", &self.token_epoch)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// Starts a session, in the caller's transaction, for each finished sign-in (each lasting
/// `idle`), and records it in the account's security activity as `event`; answers each, in
/// order, refusals passed through.
pub(super) async fn start_sessions(
    txn: &impl ConnectionTrait,
    finished: Vec<Result<Finished, Rejection>>,
    event: &Event,
    now: SystemTime,
    idle: Duration,
) -> Result<Vec<Result<SignedIn, Rejection>>, DbErr> {
    let entries = finished.iter().flatten().map(|f| (f.user_id, event, &f.from));
    activity::record_all(txn, entries, now).await?;
    let starts: Vec<sessions::Start<'_>> = finished
        .iter()
        .flatten()
        .map(|f| sessions::Start {
            user_id: f.user_id,
            token_epoch: f.token_epoch,
            replaces: f.replaces.as_deref(),
            personal_link: None,
        })
        .collect();
    let mut ids = sessions::start(txn, &starts, now, idle).await?.into_iter();
    finished
        .into_iter()
        .map(|finished| {
            let finished = match finished {
                Ok(finished) => finished,
                Err(rejection) => return Ok(Err(rejection)),
            };
            let session_id = ids
                .next()
                .ok_or_else(|| DbErr::Custom("a sign-in was left without a session".into()))?;
            Ok(Ok(SignedIn {
                user_id: finished.user_id,
                email: finished.email,
                token_epoch: finished.token_epoch,
                next: finished.next,
                session_id,
            }))
        })
        .collect()
}
