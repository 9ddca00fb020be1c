//! Who a browser session belongs to. tower-sessions keeps the record; this decides what a
//! signed-in record holds and when it stops counting.

use std::time::SystemTime;

use sea_orm::{DbErr, EntityTrait as _};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::entities::user;
use crate::services::Services;
use crate::services::sign_in::SignedIn;
use crate::services::time::{secs, unix_secs};

const KEY: &str = "auth";
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

/// Makes `session` belong to the account that just signed in, under a new id: an id the
/// browser held before (possibly planted by someone else) never becomes a signed-in one.
pub async fn establish(
    session: &Session,
    signed_in: &SignedIn,
    now: SystemTime,
) -> Result<(), SessionError> {
    // A browser without a session has no id to fix; cycling would only cost a delete.
    if session.id().is_some() {
        session.cycle_id().await?;
    }
    let now = unix_secs(now);
    let record = SignedInSession {
        user_id: signed_in.user_id,
        token_epoch: signed_in.token_epoch,
        signed_in_at: now,
        seen_at: now,
    };
    session.insert(KEY, record).await?;
    Ok(())
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
