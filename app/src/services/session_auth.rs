//! Who a browser session belongs to. tower-sessions keeps the record, its cookie and its
//! expiry; this decides what a signed-in record holds and when it stops counting.
//!
//! Signing in starts the session in the sign-in's own transaction (the record is written in
//! tower-sessions' format, with one of its ids): a spent link or code and the session it
//! grants commit together or not at all, and the sign-in costs one trip through the writer
//! instead of two. Everything after that (loading, idle renewal, sign-out) is the library's.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use http::HeaderValue;
use sea_orm::{ColumnTrait as _, DatabaseTransaction, DbErr, EntityTrait as _, QueryFilter as _};
use serde::{Deserialize, Serialize};
use tokens::Rejection;
use tower_sessions::Session;
use tower_sessions::cookie::{Cookie, SameSite};
use tower_sessions::session::Id;

use crate::entities::{session, user};
use crate::services::sign_in::SignedIn;
use crate::services::sign_in_finish::Finished;
use crate::services::time::{secs, unix_secs};
use crate::services::{Services, SignInSettings, session_store};

/// The session cookie's name.
pub const COOKIE: &str = "latchkey_session";
const KEY: &str = "auth";
/// A fresh id taken this many times in a row means the ids are not random.
const MAX_ID_DRAWS: usize = 4;
/// Idle expiry is extended at most this often, so a busy page does not write on every hit.
const TOUCH_EVERY_SECS: i64 = 60;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct SignedInSession {
    user_id: i64,
    /// The account's epoch at sign-in: "sign out everywhere" bumps it, ending this session.
    token_epoch: i64,
    signed_in_at: i64,
    seen_at: i64,
}

/// Why the session could not be read or written.
#[derive(Debug)]
pub enum SessionError {
    Session(tower_sessions::session::Error),
    Database(DbErr),
}

impl std::fmt::Display for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Session(e) => write!(f, "session store: {e}"),
            Self::Database(e) => write!(f, "database: {e}"),
        }
    }
}

impl std::error::Error for SessionError {}

impl From<tower_sessions::session::Error> for SessionError {
    fn from(e: tower_sessions::session::Error) -> Self {
        Self::Session(e)
    }
}

impl From<DbErr> for SessionError {
    fn from(e: DbErr) -> Self {
        Self::Database(e)
    }
}

/// Starts a session for each finished sign-in, in the caller's transaction, under a fresh
/// id, and ends the sessions they replace; answers each, in order, with the id for the
/// cookie. An id the browser held before (possibly planted by someone else) never becomes
/// a signed-in one.
pub(crate) async fn start_sessions(
    txn: &DatabaseTransaction,
    finished: Vec<Result<Finished, Rejection>>,
    now: SystemTime,
    idle: Duration,
) -> Result<Vec<Result<SignedIn, Rejection>>, DbErr> {
    let now = unix_secs(now);
    let replaced: Vec<&str> =
        finished.iter().flatten().filter_map(|f| f.replaces.as_deref()).collect();
    if !replaced.is_empty() {
        session::Entity::delete_many()
            .filter(session::Column::Id.is_in(replaced))
            .exec(txn)
            .await?;
    }
    let mut rows = Vec::new();
    for signed_in in finished.iter().flatten() {
        let record = SignedInSession {
            user_id: signed_in.user_id,
            token_epoch: signed_in.token_epoch,
            signed_in_at: now,
            seen_at: now,
        };
        let data = serde_json::json!({ KEY: record }).to_string();
        rows.push(session::Model { id: String::new(), data, expires_at: now + secs(idle) });
    }
    // Ids are 128 random bits, so a collision is all but impossible; if one happens, draw
    // another id rather than overwrite someone else's session.
    let mut waiting: Vec<usize> = (0..rows.len()).collect();
    for _ in 0..MAX_ID_DRAWS {
        if waiting.is_empty() {
            break;
        }
        let batch = waiting.iter().map(|&i| {
            rows[i].id = Id::default().to_string();
            rows[i].clone()
        });
        let batch: Vec<_> = batch.collect();
        let inserted = session_store::insert_new(txn, batch).await?;
        let taken: HashSet<usize> =
            waiting.iter().zip(inserted).filter(|(_, ok)| !ok).map(|(i, _)| *i).collect();
        waiting.retain(|i| taken.contains(i));
    }
    if !waiting.is_empty() {
        return Err(DbErr::Custom("no free session id after several draws".into()));
    }
    let mut ids = rows.into_iter().map(|row| row.id);
    let mut signed_in = Vec::with_capacity(finished.len());
    for finished in finished {
        signed_in.push(match finished {
            Ok(finished) => Ok(SignedIn {
                user_id: finished.user_id,
                email: finished.email,
                token_epoch: finished.token_epoch,
                next: finished.next,
                session_id: ids
                    .next()
                    .ok_or_else(|| DbErr::Custom("a sign-in was left without a session".into()))?,
            }),
            Err(rejection) => Err(rejection),
        });
    }
    Ok(signed_in)
}

/// `Set-Cookie` for a session just started: the cookie tower-sessions itself would send
/// (see the session layer in the server's start-up, configured from the same settings).
pub fn cookie(session_id: &str, settings: &SignInSettings) -> Option<HeaderValue> {
    let cookie = Cookie::build((COOKIE, session_id.to_owned()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(settings.secure_cookies)
        .path("/")
        .max_age(idle_expiry(settings))
        .build();
    HeaderValue::from_str(&cookie.to_string()).ok()
}

/// How long a session lasts without a request.
pub fn idle_expiry(settings: &SignInSettings) -> time::Duration {
    time::Duration::seconds(i64::try_from(settings.session_idle.as_secs()).unwrap_or(i64::MAX))
}

/// The signed-in account, if the session has one that is still valid: within the absolute
/// timeout, active, and not signed out everywhere since. An invalid session is ended.
pub async fn current_user(
    services: &Services,
    session: &Session,
    now: SystemTime,
) -> Result<Option<user::Model>, SessionError> {
    let Some(mut record) = session.get::<SignedInSession>(KEY).await? else {
        return Ok(None);
    };
    let now = unix_secs(now);
    if now - record.signed_in_at >= secs(services.sign_in.session_absolute) {
        tracing::debug!(user = record.user_id, "session reached its absolute timeout");
        session.flush().await?;
        return Ok(None);
    }
    let user = user::Entity::find_by_id(record.user_id).one(&services.db.read).await?;
    let Some(user) =
        user.filter(|u| u.status == user::ACTIVE && u.token_epoch == record.token_epoch)
    else {
        tracing::debug!(user = record.user_id, "session of a deactivated or signed-out account");
        session.flush().await?;
        return Ok(None);
    };
    if now - record.seen_at >= TOUCH_EVERY_SECS {
        record.seen_at = now;
        // Marks the session modified, so the layer saves it with a new idle expiry.
        session.insert(KEY, record).await?;
    }
    Ok(Some(user))
}

/// Ends the session: its record is deleted and its cookie removed.
pub async fn sign_out(session: &Session) -> Result<(), SessionError> {
    session.flush().await?;
    Ok(())
}
