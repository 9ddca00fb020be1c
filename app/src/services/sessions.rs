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

pub use self::record::SeenFrom;
use self::record::{KEY, SignedInSession};
pub(crate) use self::start::{Start, start};
pub use self::store::SeaOrmSessionStore;
use crate::entities::{personal_link, session, user};
use crate::services::time::{from_unix, secs, unix_secs};
use crate::services::{Db, SignInSettings};

/// The session cookie's name: `__Host-` when served over https, so the browser refuses it
/// from any subdomain or path, and without `Secure`.
pub fn cookie_name(settings: &SignInSettings) -> &'static str {
    if settings.secure_cookies { "__Host-latchkey_session" } else { "latchkey_session" }
}
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
    let cookie = Cookie::build((cookie_name(settings), session_id.to_owned()))
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
/// `seen_from` is where this request comes from: kept with the session (when it changes,
/// or with the idle renewal) for the account's Access page.
pub async fn current_user(
    sessions: &Sessions,
    session: &Session,
    seen_from: Option<SeenFrom>,
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
    // Where it is seen from is kept at the first request after signing in, then with the
    // once-a-minute renewal: a client cannot make every request a write.
    let first = record.seen_from.is_none() && seen_from.is_some();
    if first || now - record.seen_at >= TOUCH_EVERY_SECS {
        record.seen_at = now;
        if seen_from.is_some() {
            record.seen_from = seen_from;
        }
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

/// One of an account's live sessions, as its Access page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSummary {
    /// Names the session to end it, without being its id (the id is the cookie's secret).
    pub handle: String,
    pub signed_in_at: SystemTime,
    pub seen_at: SystemTime,
    pub seen_from: Option<SeenFrom>,
    /// Started by a personal link rather than by email.
    pub by_personal_link: bool,
    /// The session of the browser asking.
    pub this_device: bool,
}

/// The account's live sessions, the most recently seen first. `current` is the asking
/// browser's session id.
pub async fn of_account(
    sessions: &Sessions,
    user: &user::Model,
    current: Option<&str>,
    now: SystemTime,
) -> Result<Vec<SessionSummary>, DbErr> {
    let absolute = secs(sessions.settings.session_absolute);
    let now_secs = unix_secs(now);
    let rows = session::Entity::find()
        .filter(session::Column::UserId.eq(user.id))
        .filter(session::Column::ExpiresAt.gt(unix_secs(now)))
        .all(&sessions.db.read)
        .await?;
    let mut listed: Vec<SessionSummary> = rows
        .into_iter()
        .filter_map(|row| {
            let data: serde_json::Value = serde_json::from_str(&row.data).ok()?;
            let record: SignedInSession = serde_json::from_value(data.get(KEY)?.clone()).ok()?;
            // A session from before "sign out everywhere", or past its absolute timeout, is
            // over, whatever its row says (it is ended at its next request).
            let live = record.user_id == user.id
                && record.token_epoch == user.token_epoch
                && now_secs - record.signed_in_at < absolute;
            live.then(|| SessionSummary {
                handle: handle_of_stored(&row.id),
                signed_in_at: from_unix(record.signed_in_at),
                seen_at: from_unix(record.seen_at),
                seen_from: record.seen_from,
                by_personal_link: record.personal_link.is_some(),
                this_device: current.is_some_and(|id| stored_id(id) == row.id),
            })
        })
        .collect();
    listed.sort_by_key(|s| std::cmp::Reverse(s.seen_at));
    Ok(listed)
}

/// Whether `text` can be a session's handle (16 lowercase hex digits).
pub fn is_handle(text: &str) -> bool {
    text.len() == 16 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether `handle` names the session `session_id`.
pub fn is_handle_of(handle: &str, session_id: &str) -> bool {
    handle_of_stored(&stored_id(session_id)) == handle
}

/// Ends the account's session named `handle`; false if there is none. For the asking
/// browser's own session use [`sign_out`], so the session layer does not save it again.
pub async fn end(sessions: &Sessions, user_id: i64, handle: &str) -> Result<bool, DbErr> {
    let ids = session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .all(&sessions.db.write)
        .await?
        .into_iter()
        .map(|row| row.id)
        .filter(|id| handle_of_stored(id) == handle);
    let ids: Vec<String> = ids.collect();
    if ids.is_empty() {
        return Ok(false);
    }
    let deleted = session::Entity::delete_many()
        .filter(session::Column::Id.is_in(ids))
        .filter(session::Column::UserId.eq(user_id))
        .exec(&sessions.db.write)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// What the database keeps of a session's id, the cookie's secret: its SHA-256, so a
/// leaked table or backup holds no session anyone can present.
fn stored_id(id: &str) -> String {
    crate::services::digest::sha256_hex(id)
}

/// A session's public name, from its row: the first 16 hex digits of its id's SHA-256.
fn handle_of_stored(stored: &str) -> String {
    stored.chars().take(16).collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn settings(secure_cookies: bool) -> SignInSettings {
        SignInSettings {
            base_url: "https://latchkey.test".into(),
            secure_cookies,
            per_email: 5,
            per_ip: 60,
            rate_window: Duration::from_secs(900),
            session_idle: Duration::from_secs(3600),
            session_absolute: Duration::from_secs(86400),
            other_browser: crate::services::OtherBrowser::Code,
            code_budgets: crate::services::CodeBudgets::default(),
        }
    }

    /// Over https the session cookie is `__Host-` prefixed, `Secure`, for `/`, with no
    /// `Domain` (the browser tests run on plain http, so this is checked here).
    #[test]
    fn over_https_the_session_cookie_is_host_prefixed() {
        let https = cookie("id", &settings(true)).unwrap();
        let https = https.to_str().unwrap();
        assert!(https.starts_with("__Host-latchkey_session=id"), "{https}");
        assert!(https.contains("Secure") && https.contains("Path=/"), "{https}");
        assert!(!https.contains("Domain"), "{https}");
        let http = cookie("id", &settings(false)).unwrap();
        let http = http.to_str().unwrap();
        assert!(http.starts_with("latchkey_session=id") && !http.contains("Secure"), "{http}");
    }
}
