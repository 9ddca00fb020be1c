//! Who a browser session belongs to. tower-sessions keeps the record, its cookie and its
//! expiry; this decides what a signed-in record holds and when it stops counting.

mod record;
mod start;
mod store;

use std::sync::Arc;
use std::time::SystemTime;

use http::HeaderValue;
use sea_orm::{ColumnTrait as _, DbErr, EntityTrait as _, PaginatorTrait as _, QueryFilter as _};
use tower_sessions::Session;
use tower_sessions::cookie::{Cookie, SameSite};

use self::record::{KEY, SignedInSession};
pub(crate) use self::start::{Start, start};
pub use self::store::SeaOrmSessionStore;
use crate::entities::{personal_link, user};
use crate::services::time::{secs, unix_secs};
use crate::services::{Db, SignInSettings};

/// The session cookie's name.
pub const COOKIE: &str = "latchkey_session";
/// Idle expiry is extended at most this often, so a busy page does not write on every hit.
const TOUCH_EVERY_SECS: i64 = 60;
/// How long after signing in by email sensitive actions are allowed without confirming
/// again (phx.gen.auth's "sudo mode").
pub const CONFIRMED_FOR_SECS: i64 = 10 * 60;

/// The sessions feature: where records live and the timeouts they obey. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Sessions {
    db: Db,
    settings: Arc<SignInSettings>,
}

impl Sessions {
    pub fn new(db: Db, settings: Arc<SignInSettings>) -> Self {
        Self { db, settings }
    }
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
    sessions: &Sessions,
    session: &Session,
    now: SystemTime,
) -> Result<Option<user::Model>, SessionError> {
    let Some(mut record) = session.get::<SignedInSession>(KEY).await? else {
        return Ok(None);
    };
    let now = unix_secs(now);
    if now - record.signed_in_at >= secs(sessions.settings.session_absolute) {
        tracing::debug!(user = record.user_id, "session reached its absolute timeout");
        session.flush().await?;
        return Ok(None);
    }
    let db = &sessions.db.read;
    let link_alive = async {
        match record.personal_link {
            None => Ok(true),
            Some(id) => personal_link::Entity::find_by_id(id)
                .filter(personal_link::Column::UserId.eq(record.user_id))
                .count(db)
                .await
                .map(|n| n > 0),
        }
    };
    let (user, link_alive) =
        tokio::try_join!(user::Entity::find_by_id(record.user_id).one(db), link_alive)?;
    let Some(user) =
        user.filter(|u| u.status == user::ACTIVE && u.token_epoch == record.token_epoch)
    else {
        tracing::debug!(user = record.user_id, "session of a deactivated or signed-out account");
        session.flush().await?;
        return Ok(None);
    };
    if !link_alive {
        tracing::debug!(user = record.user_id, "session of a revoked personal link");
        session.flush().await?;
        return Ok(None);
    }
    if now - record.seen_at >= TOUCH_EVERY_SECS {
        record.seen_at = now;
        // Marks the session modified, so the layer saves it with a new idle expiry.
        session.insert(KEY, record).await?;
    }
    Ok(Some(user))
}

/// The account a session's record names, without checking that it is still valid or
/// touching it: enough to tell whether a browser is someone else's.
pub async fn signed_in_as(session: &Session) -> Result<Option<i64>, SessionError> {
    Ok(session.get::<SignedInSession>(KEY).await?.map(|record| record.user_id))
}

/// Whether the session signed in by email (link or code) within [`CONFIRMED_FOR_SECS`]:
/// enough to allow a sensitive action. A personal link never counts: it is a standing
/// credential, possibly on a shared device. Call after [`current_user`] has vouched for
/// the session.
pub async fn recently_confirmed(session: &Session, now: SystemTime) -> Result<bool, SessionError> {
    let Some(record) = session.get::<SignedInSession>(KEY).await? else {
        return Ok(false);
    };
    Ok(record.personal_link.is_none() && unix_secs(now) - record.signed_in_at < CONFIRMED_FOR_SECS)
}

/// Ends the session: its record is deleted and its cookie removed.
pub async fn sign_out(session: &Session) -> Result<(), SessionError> {
    session.flush().await?;
    Ok(())
}
