//! Personal links (purpose `bookmark`): named, long-lived URLs that sign their owner in,
//! for small private sites where people would rather keep a bookmark than an account
//! ("Kitchen tablet").
//!
//! Each link is a row; its token names the row and is signed under the owner's revocation
//! material. Deleting the row revokes that link, and every session it started ends at its
//! next request (sessions remember the link that started them). "Sign out everywhere" and
//! an email change revoke them all. The token is never stored: it is minted again whenever
//! the owner asks to copy the link.

use std::sync::Arc;
use std::time::SystemTime;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _,
    PaginatorTrait as _, QueryFilter as _, QueryOrder as _, Set, TransactionTrait as _,
};
use tokens::{Rejection, Subject};

use crate::domain::EmailAddress;
use crate::entities::{personal_link, user};
use crate::services::links::{self, Gone, LinkRow, Refused};
use crate::services::time::{from_unix, unix_secs};
use crate::services::{Db, Scopes, SignInSettings, accounts, activity, sessions};

/// The longest name, in characters (the column holds 60).
pub const MAX_NAME_CHARS: usize = 60;
/// Links an account may hold at once: each is a standing credential to review.
pub const MAX_LINKS: u64 = 20;

/// The personal-links feature. Cheap to clone.
#[derive(Clone)]
pub struct PersonalLinks {
    db: Db,
    scopes: Arc<Scopes>,
    settings: Arc<SignInSettings>,
}

impl PersonalLinks {
    pub(crate) fn new(db: Db, scopes: Arc<Scopes>, settings: Arc<SignInSettings>) -> Self {
        Self { db, scopes, settings }
    }

    /// The link's URL. Minted as of the row's creation, so it is the same string every time
    /// it is shown (a reusable token has no nonce), and a max-age the operator sets counts
    /// from creation, not from the last time the owner looked.
    fn url(&self, owner: &user::Model, row: &personal_link::Model) -> String {
        let token = self.scopes.bookmark.mint(
            Subject::User(u64::try_from(owner.id).unwrap_or_default()),
            Some(u64::try_from(row.id).unwrap_or_default()),
            &accounts::revocation(owner),
            from_unix(row.created_at),
        );
        personal_link_url(&self.settings, &token)
    }
}

/// Where a personal link points.
pub fn personal_link_url(settings: &SignInSettings, token: &str) -> String {
    format!("{}/personal?token={token}", settings.base_url)
}

/// A personal link as its owner's settings list it, with its URL to copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub created_at: SystemTime,
    pub last_used_at: Option<SystemTime>,
}

fn listed(links: &PersonalLinks, owner: &user::Model, row: personal_link::Model) -> Listed {
    Listed {
        url: links.url(owner, &row),
        id: row.id,
        name: row.name,
        created_at: from_unix(row.created_at),
        last_used_at: row.last_used_at.map(from_unix),
    }
}

/// Why a link could not be created; `Display` is what the settings page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateError {
    EmptyName,
    NameTooLong,
    TooMany,
}

impl std::fmt::Display for CreateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::EmptyName => f.write_str("Name the link after where it will be used."),
            Self::NameTooLong => {
                write!(f, "The name is too long: at most {MAX_NAME_CHARS} characters.")
            }
            Self::TooMany => write!(f, "You have {MAX_LINKS} personal links; revoke one first."),
        }
    }
}

/// Creates a named link for `owner`. The caller checks that the owner confirmed recently
/// (see `sessions::recently_confirmed`): a personal link is a standing credential.
pub async fn create(
    links: &PersonalLinks,
    owner: &user::Model,
    name: &str,
    now: SystemTime,
) -> Result<Result<Listed, CreateError>, DbErr> {
    let name: String = name.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let name = name.trim();
    if name.is_empty() {
        return Ok(Err(CreateError::EmptyName));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Ok(Err(CreateError::NameTooLong));
    }
    let txn = links.db.write.begin().await?;
    let held = personal_link::Entity::find()
        .filter(personal_link::Column::UserId.eq(owner.id))
        .count(&txn)
        .await?;
    if held >= MAX_LINKS {
        return Ok(Err(CreateError::TooMany));
    }
    let row = personal_link::ActiveModel {
        user_id: Set(owner.id),
        name: Set(name.to_owned()),
        created_at: Set(unix_secs(now)),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Ok(listed(links, owner, row)))
}

/// The owner's links, newest first, with their URLs: show them only to a session that
/// confirmed recently (see `sessions::recently_confirmed`), as they are credentials.
pub async fn list(links: &PersonalLinks, owner: &user::Model) -> Result<Vec<Listed>, DbErr> {
    let rows = personal_link::Entity::find()
        .filter(personal_link::Column::UserId.eq(owner.id))
        .order_by_desc(personal_link::Column::Id)
        .all(&links.db.read)
        .await?;
    Ok(rows.into_iter().map(|row| listed(links, owner, row)).collect())
}

/// Revokes one of the owner's links at once; false if it is not theirs.
pub async fn revoke(links: &PersonalLinks, owner_id: i64, link_id: i64) -> Result<bool, DbErr> {
    let deleted = personal_link::Entity::delete_many()
        .filter(personal_link::Column::Id.eq(link_id))
        .filter(personal_link::Column::UserId.eq(owner_id))
        .exec(&links.db.write)
        .await?;
    Ok(deleted.rows_affected == 1)
}

/// Deletes every personal link of the account, in the caller's transaction.
pub(crate) async fn revoke_all(db: &impl ConnectionTrait, owner_id: i64) -> Result<u64, DbErr> {
    let deleted = personal_link::Entity::delete_many()
        .filter(personal_link::Column::UserId.eq(owner_id))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// What the "Continue as …" page may show about a link, before signing in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    /// The link's owner, who would be signed in.
    pub user_id: i64,
    pub masked_email: String,
    pub name: String,
}

/// Whether a link would sign in, without doing so.
pub async fn check(
    links: &PersonalLinks,
    token: &str,
    now: SystemTime,
) -> Result<Result<Preview, Rejection>, DbErr> {
    Ok(open(links, token, now).await?.map(|opened| Preview {
        user_id: opened.account.id,
        masked_email: EmailAddress::mask_stored(&opened.account.email),
        name: opened.row.0.name,
    }))
}

/// Who a link signed in, and the session that started.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub user_id: i64,
    /// For the cookie (see `sessions::cookie`).
    pub session_id: String,
}

/// The session id is a bearer credential: never in a log line.
impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn").field("user_id", &self.user_id).finish_non_exhaustive()
    }
}

/// Signs the link's owner in with a new session that remembers the link (so revoking the
/// link ends it), replacing the browser's current session, `replaces`; the sign-in's entry
/// in the security activity (from `from`) is written in the same transaction.
pub async fn sign_in(
    links: &PersonalLinks,
    token: &str,
    from: &activity::Origin,
    replaces: Option<&str>,
    now: SystemTime,
) -> Result<Result<SignedIn, Rejection>, DbErr> {
    let opened = match open(links, token, now).await? {
        Ok(opened) => opened,
        Err(rejection) => return Ok(Err(rejection)),
    };
    let txn = links.db.write.begin().await?;
    // Still there, stamped in the same statement: a link revoked since it was checked
    // starts nothing.
    let stamped = personal_link::Entity::update_many()
        .col_expr(personal_link::Column::LastUsedAt, Expr::value(unix_secs(now)))
        .filter(personal_link::Column::Id.eq(opened.row.0.id))
        .exec(&txn)
        .await?;
    if stamped.rows_affected != 1 {
        return Ok(Err(Rejection::WrongResource));
    }
    let start = sessions::Start {
        user_id: opened.account.id,
        token_epoch: opened.account.token_epoch,
        replaces,
        personal_link: Some(opened.row.0.id),
    };
    let idle = links.settings.session_idle;
    let session_id = sessions::start(&txn, &[start], now, idle).await?.pop();
    let session_id = session_id.ok_or_else(|| DbErr::Custom("no session was started".into()))?;
    let event = activity::Event::SignedInWithPersonalLink;
    activity::record_all(&txn, [(opened.account.id, &event, from)], now).await?;
    txn.commit().await?;
    Ok(Ok(SignedIn { user_id: opened.account.id, session_id }))
}

async fn open(
    links: &PersonalLinks,
    token: &str,
    now: SystemTime,
) -> Result<Result<links::Opened<Bookmark>, Rejection>, DbErr> {
    let db = &links.db.read;
    let opened = links::open(&links.scopes.bookmark, token, now, |id| async move {
        let found = personal_link::Entity::find_by_id(id).find_also_related(user::Entity).one(db);
        Ok(match found.await? {
            Some((link, Some(owner))) => Some((Bookmark(link), owner)),
            _ => None,
        })
    })
    .await?;
    Ok(opened.map_err(|refused| match refused {
        Refused::Invalid(rejection) => rejection,
        Refused::Gone(_) => Rejection::Expired,
    }))
}

/// A personal link's row, as the link check loads it.
struct Bookmark(personal_link::Model);

impl LinkRow for Bookmark {
    fn account_id(&self) -> i64 {
        self.0.user_id
    }

    /// Revoking deletes the row, and the purpose has no max-age unless the operator sets
    /// one (which the token enforces): a row that exists grants access.
    fn state(&self, _now: SystemTime) -> Result<(), Gone> {
        Ok(())
    }
}
