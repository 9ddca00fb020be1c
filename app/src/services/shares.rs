//! Sharing a report read-only (purpose `share`): with a guest by email, or as a link to
//! copy. A share is a row; its token names that row and is signed under the row's own
//! material (its creation time), not the owner's, so it keeps working through the owner's
//! "sign out everywhere" and email change, and stops when the row says so: revoked,
//! expired, or gone with its report. It never signs anyone in and shows nothing of the
//! owner's but the one report.
//!
//! Revoking stamps the row rather than deleting it, so a revoked link can say "revoked"
//! (with 410); only a token whose tag verifies ever hears anything about its row, so share
//! ids leak nothing. Opens are split into people and automated visitors (see
//! `crate::visitors`); `HEAD` and speculative loads are not counted.

mod browser;
mod confirm;
mod guests;
mod message;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait as _, PaginatorTrait as _, QueryFilter as _, QueryOrder as _, Set,
    TransactionTrait as _,
};
use tokens::{Rejection, Revocation, Subject};
use tokio::sync::Notify;

pub use self::browser::BrowserId;
pub use self::confirm::{
    ATTEMPTS_PER_CODE, CODE_EMAILS_PER_ADDRESS_PER_DAY, CODE_EMAILS_PER_HOUR, CODE_LIFETIME,
    CodeSent, Confirmed, TRIES_PER_SHARE_PER_DAY,
};
pub use self::message::{MAX_MESSAGE_CHARS, ShareMessage, ShareMessageError};
use crate::domain::{EmailAddress, SignInCode};
use crate::entities::{outbox_message, report, share, share_browser, share_code, user};
use crate::services::links::{self, Gone, LinkRow, Refused};
use crate::services::opens::{Counter, Opens, Visit};
use crate::services::reads_by_id::{self, ReadById, Reader};
use crate::services::sign_in::CodeHasher;
use crate::services::time::{from_unix, secs, unix_secs};
use crate::services::{Db, Scopes, ShareSettings, SignInSettings, db, outbox};

/// The sharing feature. Cheap to clone.
#[derive(Clone)]
pub struct Shares {
    db: Db,
    /// Shares are read in batches, for every view waiting (see `reads_by_id`).
    rows: Reader<ShareRows>,
    scopes: Arc<Scopes>,
    site: Arc<SignInSettings>,
    settings: Arc<ShareSettings>,
    codes: CodeHasher,
    mail_queued: Arc<Notify>,
    opens: Opens,
}

impl Shares {
    pub(crate) fn new(
        db: Db,
        scopes: Arc<Scopes>,
        site: Arc<SignInSettings>,
        settings: ShareSettings,
        codes: CodeHasher,
        mail_queued: Arc<Notify>,
        opens: Opens,
    ) -> Self {
        let rows = reads_by_id::start(db.read.clone(), ShareRows);
        Self { db, rows, scopes, site, settings: Arc::new(settings), codes, mail_queued, opens }
    }
}

/// What the owner asked for in the share dialog.
#[derive(Clone, Debug, Default)]
pub struct NewShare {
    /// The guest; `None` for a link to copy.
    pub guest: Option<EmailAddress>,
    pub expires_at: Option<SystemTime>,
    pub message: Option<ShareMessage>,
    /// Only browsers that confirm with a code sent to the guest may open it.
    pub named_only: bool,
}

/// What became of a share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shared {
    /// The guest's email is queued.
    Emailed { share_id: i64 },
    /// A link to copy.
    Link { share_id: i64, url: String },
    /// No such report of the owner's.
    NotFound,
    /// Over the owner's shares per day.
    OverLimit,
    /// "Only the named guest" needs a guest to name.
    NamedNeedsGuest,
    /// An expiry that is not in the future.
    ExpiryPassed,
}

/// Shares the owner's report: creates the row (and, for an address with no account, a
/// guest account) and queues the guest's email, in one transaction.
pub async fn share(
    shares: &Shares,
    owner: &user::Model,
    report_id: i64,
    new: &NewShare,
    now: SystemTime,
) -> Result<Shared, DbErr> {
    if new.named_only && new.guest.is_none() {
        return Ok(Shared::NamedNeedsGuest);
    }
    if new.expires_at.is_some_and(|at| at <= now) {
        return Ok(Shared::ExpiryPassed);
    }
    let now_secs = unix_secs(now);
    let txn = db::begin_for_limits(&shares.db.write, None).await?;
    let owned = report::Entity::find_by_id(report_id)
        .filter(report::Column::OwnerId.eq(owner.id))
        .count(&txn)
        .await?;
    if owned == 0 {
        return Ok(Shared::NotFound);
    }
    // Rows created, not rows live: revoking a share must not buy another email. Exact
    // across instances (see `lock_for_limits`).
    db::lock_for_limits(&txn, [format!("shares:{}", owner.id)]).await?;
    let today = share::Entity::find()
        .filter(share::Column::OwnerId.eq(owner.id))
        .filter(share::Column::CreatedAt.gt(now_secs - 86_400))
        .count(&txn)
        .await?;
    if today >= u64::from(shares.settings.per_day) {
        tracing::info!(user = owner.id, "shares over the daily limit; not created");
        return Ok(Shared::OverLimit);
    }
    let guest = match &new.guest {
        Some(email) => Some(guests::find_or_create(&txn, email, now).await?),
        None => None,
    };
    let row = share::ActiveModel {
        report_id: Set(Some(report_id)),
        owner_id: Set(owner.id),
        guest_id: Set(guest.as_ref().map(|g| g.id)),
        message: Set(new.message.as_ref().map(|m| m.as_str().to_owned())),
        named_only: Set(new.named_only),
        created_at: Set(now_secs),
        expires_at: Set(new.expires_at.map(unix_secs)),
        revoked_at: Set(None),
        last_opened_at: Set(None),
        opens_people: Set(0),
        opens_automated: Set(0),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let shared = match &guest {
        Some(guest) => {
            outbox::enqueue(&txn, outbox_message::SHARE, row.id, &guest.email, now).await?;
            Shared::Emailed { share_id: row.id }
        }
        None => Shared::Link { share_id: row.id, url: link_url(shares, &row) },
    };
    txn.commit().await?;
    if guest.is_some() {
        shares.mail_queued.notify_one();
    }
    Ok(shared)
}

/// Gives what was shared with guest account `guest` to account `to`, and deletes the
/// guest; false if `guest` is no longer a guest. For an email change's undo, whose account
/// takes back the address the guest was made for (see `accounts::Reserved`). Each share
/// link is signed under its own row, so every link sent keeps working.
pub(crate) async fn hand_guest_over(
    db: &impl ConnectionTrait,
    guest: i64,
    to: i64,
) -> Result<bool, DbErr> {
    // A no-op write that takes the guest's row until commit: a sign-in promoting it
    // meanwhile either comes first (and it is kept) or waits for the guest to be gone.
    let still_guest = user::Entity::update_many()
        .col_expr(user::Column::Status, Expr::value(user::GUEST))
        .filter(user::Column::Id.eq(guest))
        .filter(user::Column::Status.eq(user::GUEST))
        .exec(db)
        .await?;
    if still_guest.rows_affected != 1 {
        return Ok(false);
    }
    // Moved before the guest is deleted, which would take its shares with it.
    share::Entity::update_many()
        .col_expr(share::Column::GuestId, Expr::value(to))
        .filter(share::Column::GuestId.eq(guest))
        .exec(db)
        .await?;
    user::Entity::delete_by_id(guest).exec(db).await?;
    Ok(true)
}

/// A share's state, as its owner's list shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareState {
    Active,
    Revoked,
    Expired,
}

/// One share, as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareSummary {
    pub id: i64,
    pub report_id: i64,
    pub report_title: String,
    /// The guest's address; `None` for a copied link.
    pub guest: Option<String>,
    pub created_at: SystemTime,
    pub expires_at: Option<SystemTime>,
    pub state: ShareState,
    pub last_opened_at: Option<SystemTime>,
    pub opens_people: i64,
    pub opens_automated: i64,
    pub named_only: bool,
    /// Browsers confirmed as the named guest's.
    pub browsers: u64,
    /// The URL, for a copied link that still works (the owner may copy it again).
    pub link: Option<String>,
}

/// Every share of the owner's report, newest first (none if it is not theirs).
pub async fn of_report(
    shares: &Shares,
    owner_id: i64,
    report_id: i64,
    now: SystemTime,
) -> Result<Vec<ShareSummary>, DbErr> {
    summaries(shares, owner_id, Some(report_id), now).await
}

/// Every share the owner made that still works, newest first.
pub async fn live_of_owner(
    shares: &Shares,
    owner_id: i64,
    now: SystemTime,
) -> Result<Vec<ShareSummary>, DbErr> {
    let all = summaries(shares, owner_id, None, now).await?;
    Ok(all.into_iter().filter(|s| s.state == ShareState::Active).collect())
}

/// The owner's shares of one report, or (`None`) the live ones of every report: revoked and
/// expired ones are left out in the query, so the list grows with live shares only.
async fn summaries(
    shares: &Shares,
    owner_id: i64,
    report_id: Option<i64>,
    now: SystemTime,
) -> Result<Vec<ShareSummary>, DbErr> {
    let db = &shares.db.read;
    let mut query = share::Entity::find()
        .filter(share::Column::OwnerId.eq(owner_id))
        .find_also_related(report::Entity)
        .order_by_desc(share::Column::Id);
    query = match report_id {
        Some(report_id) => query.filter(share::Column::ReportId.eq(report_id)),
        None => query
            .filter(share::Column::ReportId.is_not_null())
            .filter(share::Column::RevokedAt.is_null())
            .filter(
                Condition::any()
                    .add(share::Column::ExpiresAt.is_null())
                    .add(share::Column::ExpiresAt.gt(unix_secs(now))),
            ),
    };
    let rows = query.all(db).await?;
    let ids: Vec<i64> = rows.iter().map(|(s, _)| s.id).collect();
    let guest_ids: Vec<i64> = rows.iter().filter_map(|(s, _)| s.guest_id).collect();
    let guests: HashMap<i64, String> = if guest_ids.is_empty() {
        HashMap::new()
    } else {
        let found = user::Entity::find().filter(user::Column::Id.is_in(guest_ids)).all(db).await?;
        found.into_iter().map(|u| (u.id, u.email)).collect()
    };
    let mut browsers: HashMap<i64, u64> = HashMap::new();
    if !ids.is_empty() {
        let confirmed = share_browser::Entity::find()
            .filter(share_browser::Column::ShareId.is_in(ids))
            .all(db)
            .await?;
        for row in confirmed {
            *browsers.entry(row.share_id).or_default() += 1;
        }
    }
    Ok(rows
        .into_iter()
        .filter_map(|(row, found)| {
            let found = found?;
            let expires_at = expiry(shares, &row);
            let state = state_of(&row, expires_at, now);
            let link = (row.guest_id.is_none() && state == ShareState::Active)
                .then(|| link_url(shares, &row));
            Some(ShareSummary {
                id: row.id,
                report_id: found.id,
                report_title: found.title,
                guest: row.guest_id.and_then(|id| guests.get(&id).cloned()),
                created_at: from_unix(row.created_at),
                expires_at: expires_at.map(from_unix),
                state,
                last_opened_at: row.last_opened_at.map(from_unix),
                opens_people: row.opens_people,
                opens_automated: row.opens_automated,
                named_only: row.named_only,
                browsers: browsers.get(&row.id).copied().unwrap_or(0),
                link,
            })
        })
        .collect())
}

fn state_of(row: &share::Model, expires_at: Option<i64>, now: SystemTime) -> ShareState {
    if row.revoked_at.is_some() {
        ShareState::Revoked
    } else if expires_at.is_some_and(|at| at <= unix_secs(now)) {
        ShareState::Expired
    } else {
        ShareState::Active
    }
}

/// When the share stops working: its own expiry, or earlier if the operator gave the
/// `share` purpose a max-age (its tokens, minted at creation, stop verifying then).
fn expiry(shares: &Shares, row: &share::Model) -> Option<i64> {
    let by_purpose =
        shares.scopes.share.purpose().max_age().map(|age| row.created_at.saturating_add(secs(age)));
    match (row.expires_at, by_purpose) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Revokes one share of the owner's, at once; false if it is not theirs or already
/// revoked. Its confirmed browsers and pending codes go with it.
pub async fn revoke(
    shares: &Shares,
    owner_id: i64,
    share_id: i64,
    now: SystemTime,
) -> Result<bool, DbErr> {
    let txn = shares.db.write.begin().await?;
    let revoked = share::Entity::update_many()
        .col_expr(share::Column::RevokedAt, Expr::value(unix_secs(now)))
        .filter(share::Column::Id.eq(share_id))
        .filter(share::Column::OwnerId.eq(owner_id))
        .filter(share::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if revoked.rows_affected == 1 {
        confirm::reset(&txn, share_id).await?;
        share_code::Entity::delete_many()
            .filter(share_code::Column::ShareId.eq(share_id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(revoked.rows_affected == 1)
}

/// Forgets the browsers confirmed for the owner's share: each must confirm again. False
/// if it is not theirs.
pub async fn reset_browsers(
    shares: &Shares,
    owner_id: i64,
    share_id: i64,
    now: SystemTime,
) -> Result<bool, DbErr> {
    let txn = confirm::begin_confirming(&shares.db, share_id).await?;
    let owned = share::Entity::find_by_id(share_id)
        .filter(share::Column::OwnerId.eq(owner_id))
        .count(&txn)
        .await?;
    if owned == 0 {
        return Ok(false);
    }
    confirm::reset(&txn, share_id).await?;
    // Codes and links already sent would confirm a browser again: they stop working now
    // (kept, as they still count towards the limits on code emails).
    share_code::Entity::update_many()
        .col_expr(share_code::Column::ExpiresAt, Expr::value(unix_secs(now)))
        .col_expr(share_code::Column::LinkHash, Expr::value(Option::<String>::None))
        .filter(share_code::Column::ShareId.eq(share_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(true)
}

/// Ends every share of a report, in the caller's transaction (the report is being
/// deleted): their browsers and codes are deleted, and each row keeps only what counts
/// towards the owner's shares per day (deleting a report must not give shares back).
pub(crate) async fn forget_report(db: &impl ConnectionTrait, report_id: i64) -> Result<(), DbErr> {
    let ids: Vec<i64> = share::Entity::find()
        .filter(share::Column::ReportId.eq(report_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    share_browser::Entity::delete_many()
        .filter(share_browser::Column::ShareId.is_in(ids.clone()))
        .exec(db)
        .await?;
    share_code::Entity::delete_many()
        .filter(share_code::Column::ShareId.is_in(ids.clone()))
        .exec(db)
        .await?;
    share::Entity::update_many()
        .col_expr(share::Column::ReportId, Expr::value(Option::<i64>::None))
        .col_expr(share::Column::Message, Expr::value(Option::<String>::None))
        .filter(share::Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(())
}

/// A shared report, as its guest sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedReport {
    pub title: String,
    pub body_html: String,
    pub updated_at: SystemTime,
    /// The owner's address: "shared with you by …".
    pub shared_by: String,
    pub message: Option<String>,
    pub expires_at: Option<SystemTime>,
}

/// What a share link opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opening {
    Open(SharedReport),
    /// "Only the named guest", and this browser has not confirmed: it may ask for a code
    /// sent to the (masked) address.
    ConfirmFirst {
        guest_hint: String,
    },
    /// A genuine link whose share was revoked or expired: safe to say which.
    Ended(Gone),
    /// Not a working share link; the reason is for logs only.
    Invalid(Rejection),
}

/// Opens a share link in `browser` (the cookie, if it sent one).
pub async fn open(
    shares: &Shares,
    token: &str,
    browser: Option<&BrowserId>,
    visit: Visit,
    now: SystemTime,
) -> Result<Opening, DbErr> {
    let checked = match check(shares, token, now).await? {
        Ok(checked) => checked,
        Err(Refused::Gone(gone)) => return Ok(Opening::Ended(gone)),
        Err(Refused::Invalid(rejection)) => return Ok(Opening::Invalid(rejection)),
    };
    let ShareRow { share: row, report: found, expires_at } = checked.row;
    if row.named_only && !confirm::is_confirmed(&shares.db.read, row.id, browser).await? {
        let guest_hint = guest_of(shares, &row).await?.map_or_else(String::new, |g| mask(&g));
        return Ok(Opening::ConfirmFirst { guest_hint });
    }
    shares.opens.count(Counter::Share(row.id, visit), now);
    Ok(Opening::Open(SharedReport {
        title: found.title,
        body_html: found.body_html,
        updated_at: from_unix(found.updated_at),
        shared_by: checked.account.email,
        message: row.message,
        expires_at: expires_at.map(from_unix),
    }))
}

/// "Email me a code" on a named-guest share's page: a code for this browser, to the
/// guest's address (never shown).
pub async fn send_code(
    shares: &Shares,
    token: &str,
    browser: &BrowserId,
    now: SystemTime,
) -> Result<CodeSent, DbErr> {
    let Ok(checked) = check(shares, token, now).await? else {
        return Ok(CodeSent::Refused);
    };
    let row = checked.row.share;
    let Some(guest) = guest_of(shares, &row).await?.filter(|_| row.named_only) else {
        return Ok(CodeSent::Refused);
    };
    let sent = confirm::ask(&shares.db, row.id, &guest, browser, now).await?;
    if sent == CodeSent::Sent {
        shares.mail_queued.notify_one();
    }
    Ok(sent)
}

/// The code typed on a named-guest share's page, for this browser.
pub async fn confirm_browser(
    shares: &Shares,
    token: &str,
    browser: &BrowserId,
    code: &SignInCode,
    now: SystemTime,
) -> Result<Confirmed, DbErr> {
    let Ok(checked) = check(shares, token, now).await? else {
        return Ok(Confirmed::Refused);
    };
    if !checked.row.share.named_only {
        return Ok(Confirmed::Refused);
    }
    confirm::confirm(&shares.db, &shares.codes, checked.row.share.id, browser, code, now).await
}

/// The link of a code email (its `confirm` parameter, `CODE_ID.KEY`), opened on a
/// named-guest share's page and its button pressed, for this browser.
pub async fn confirm_browser_by_link(
    shares: &Shares,
    token: &str,
    browser: &BrowserId,
    confirm: &str,
    now: SystemTime,
) -> Result<Confirmed, DbErr> {
    let Some((code_id, key)) = confirm.split_once('.') else {
        return Ok(Confirmed::WrongCode);
    };
    let Ok(code_id) = code_id.parse::<i64>() else { return Ok(Confirmed::WrongCode) };
    if !confirm::is_link_key(key) {
        return Ok(Confirmed::WrongCode);
    }
    let Ok(checked) = check(shares, token, now).await? else {
        return Ok(Confirmed::Refused);
    };
    if !checked.row.share.named_only {
        return Ok(Confirmed::Refused);
    }
    let share_id = checked.row.share.id;
    confirm::confirm_by_link(&shares.db, share_id, code_id, key, browser, now).await
}

/// A share's email, ready to render.
#[derive(Debug)]
pub struct ShareMail {
    pub to: String,
    pub link: String,
    pub report_title: String,
    pub shared_by: String,
    pub message: Option<String>,
    pub expires_at: Option<SystemTime>,
    pub named_only: bool,
}

/// Prepares the guest's email of share `share_id`; `None` when the share no longer works.
pub async fn prepare_share_mail(
    shares: &Shares,
    share_id: i64,
    now: SystemTime,
) -> Result<Option<ShareMail>, DbErr> {
    let Some((row, found, owner)) = load_live(shares, share_id, now).await? else {
        return Ok(None);
    };
    let Some(guest) = guest_of(shares, &row).await? else {
        return Ok(None);
    };
    let expires_at = expiry(shares, &row).map(from_unix);
    Ok(Some(ShareMail {
        to: guest,
        link: link_url(shares, &row),
        report_title: found.title,
        shared_by: owner.email,
        message: row.message,
        expires_at,
        named_only: row.named_only,
    }))
}

/// A named guest's confirmation code email, ready to render.
#[derive(Debug)]
pub struct ShareCodeMail {
    pub to: String,
    pub code: SignInCode,
    /// Confirms whichever browser opens it, until `link_valid_for` has passed.
    pub link: String,
    pub link_valid_for: Duration,
    pub report_title: String,
    pub shared_by: String,
    pub valid_for: Duration,
}

/// Prepares code message `code_id`: generates its code and stores the hash. `None` when
/// the code expired or its share no longer works.
pub async fn prepare_code_mail(
    shares: &Shares,
    code_id: i64,
    now: SystemTime,
) -> Result<Option<ShareCodeMail>, DbErr> {
    let Some(pending) = share_code::Entity::find_by_id(code_id).one(&shares.db.write).await? else {
        return Ok(None);
    };
    let Some((row, found, owner)) = load_live(shares, pending.share_id, now).await? else {
        return Ok(None);
    };
    let Some(guest) = guest_of(shares, &row).await? else {
        return Ok(None);
    };
    let Some(issued) = confirm::issue(&shares.db, &shares.codes, code_id, now).await? else {
        return Ok(None);
    };
    let left = |until: i64| {
        Duration::from_secs(u64::try_from(until.saturating_sub(unix_secs(now))).unwrap_or(0))
    };
    let valid_for = left(issued.row.expires_at);
    let link_valid_for = left(issued.row.created_at.saturating_add(secs(confirm::LINK_LIFETIME)));
    let link = format!("{}&confirm={code_id}.{}", link_url(shares, &row), issued.link_key);
    Ok(Some(ShareCodeMail {
        to: guest,
        code: issued.code,
        link,
        link_valid_for,
        report_title: found.title,
        shared_by: owner.email,
        valid_for,
    }))
}

/// Deletes codes that can no longer be typed and no longer count towards any limit, and
/// the rows of deleted reports' shares once they no longer count towards the day's.
pub async fn purge(shares: &Shares, now: SystemTime) -> Result<u64, DbErr> {
    let now = unix_secs(now);
    let codes = share_code::Entity::delete_many()
        .filter(share_code::Column::ExpiresAt.lt(now))
        .filter(share_code::Column::CreatedAt.lt(now - 86_400))
        .exec(&shares.db.write)
        .await?;
    let rows = share::Entity::delete_many()
        .filter(share::Column::ReportId.is_null())
        .filter(share::Column::CreatedAt.lt(now - 86_400))
        .exec(&shares.db.write)
        .await?;
    Ok(codes.rows_affected + rows.rows_affected)
}

/// The share link's URL: minted as of the row's creation, so it is the same string each
/// time it is shown or mailed.
fn link_url(shares: &Shares, row: &share::Model) -> String {
    let token = shares.scopes.share.mint(
        Subject::User(u64::try_from(row.owner_id).unwrap_or_default()),
        Some(u64::try_from(row.id).unwrap_or_default()),
        &share_revocation(row),
        from_unix(row.created_at),
    );
    format!("{}/shared?token={token}", shares.site.base_url)
}

/// What a share's token is signed under: the row's own creation time, not the owner's
/// material (a share outlives the owner's "sign out everywhere"). Binding the time means a
/// token names this one row, never a later row that was given the same id.
fn share_revocation(row: &share::Model) -> Revocation<'static> {
    Revocation { epoch: u64::try_from(row.created_at).unwrap_or_default(), email: "" }
}

/// The share, its report and its owner, in one query, if the share still works.
async fn load_live(
    shares: &Shares,
    share_id: i64,
    now: SystemTime,
) -> Result<Option<(share::Model, report::Model, user::Model)>, DbErr> {
    let found = shares.rows.submit(share_id).await?;
    Ok(found.filter(|(row, found, owner)| {
        owner.status == user::ACTIVE
            && row.owner_id == found.owner_id
            && state_of(row, expiry(shares, row), now) == ShareState::Active
    }))
}

/// A share's rows as its link's views and emails read them: the share, its report and the
/// report's owner.
struct ShareRows;

impl ReadById for ShareRows {
    type Row = (share::Model, report::Model, user::Model);

    async fn read(
        &self,
        db: &DatabaseConnection,
        ids: BTreeSet<i64>,
    ) -> Result<Vec<(i64, Self::Row)>, DbErr> {
        let rows = share::Entity::find()
            .filter(share::Column::Id.is_in(ids))
            .find_also_related(report::Entity)
            .find_also(share::Entity, user::Entity)
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(row, found, owner)| Some((row.id, (row, found?, owner?))))
            .collect())
    }
}

async fn guest_of(shares: &Shares, row: &share::Model) -> Result<Option<String>, DbErr> {
    let Some(guest_id) = row.guest_id else { return Ok(None) };
    Ok(user::Entity::find_by_id(guest_id).one(&shares.db.read).await?.map(|g| g.email))
}

/// `a•••@example.com`, for the page a forwarded link may be opened on.
fn mask(email: &str) -> String {
    EmailAddress::parse(email).map_or_else(|_| "the guest's address".to_owned(), |e| e.masked())
}

/// The link check every share page goes through.
async fn check(
    shares: &Shares,
    token: &str,
    now: SystemTime,
) -> Result<Result<links::Opened<ShareRow>, Refused>, DbErr> {
    let rows = &shares.rows;
    links::open(&shares.scopes.share, token, now, |share_id| async move {
        // Shared with the views waiting: one query for all of them.
        let found = rows.submit(share_id).await?;
        Ok(found.map(|(share, report, owner)| {
            let expires_at = expiry(shares, &share);
            (ShareRow { share, report, expires_at }, owner)
        }))
    })
    .await
}

/// A share with its report, as the link check loads them.
#[derive(Debug)]
struct ShareRow {
    share: share::Model,
    report: report::Model,
    expires_at: Option<i64>,
}

impl LinkRow for ShareRow {
    fn account_id(&self) -> i64 {
        if self.share.owner_id == self.report.owner_id { self.share.owner_id } else { -1 }
    }

    fn revocation<'a>(&'a self, _owner: &'a user::Model) -> Revocation<'a> {
        share_revocation(&self.share)
    }

    fn state(&self, now: SystemTime) -> Result<(), Gone> {
        match state_of(&self.share, self.expires_at, now) {
            ShareState::Active => Ok(()),
            ShareState::Revoked => Err(Gone::Revoked),
            ShareState::Expired => Err(Gone::Expired),
        }
    }
}
