//! Reports: a title and a Markdown body owned by one account, and the authenticated links
//! (purpose `report`) that open one report, read-only, for whoever holds the email.
//!
//! A report link is a row bound to its report; its token names that row and is signed
//! under the owner's revocation material. So deleting the row revokes that one link,
//! deleting the report revokes all of its links, and "sign out everywhere" or an email
//! change revoke every link of the owner's (they are the owner's credentials). A link
//! never signs anyone in: emails get forwarded.

mod draft;
mod link_reads;
mod render;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _,
    ModelTrait as _, PaginatorTrait as _, QueryFilter as _, QueryOrder as _, Set,
    TransactionTrait as _,
};
use tokens::{Rejection, Subject};
use tokio::sync::Notify;

pub use self::draft::{Draft, DraftError, MAX_BODY_CHARS, MAX_TITLE_CHARS};
use self::link_reads::LinkRows;
use crate::entities::{outbox_message, report, report_link, user};
use crate::services::links::{self, Gone, LinkRow, Refused};
pub use crate::services::opens::Visit;
use crate::services::opens::{Counter, Opens};
use crate::services::reads_by_id::{self, Reader};
use crate::services::time::{from_unix, secs, unix_secs};
use crate::services::{Db, Scopes, SignInSettings, accounts, db, jobs, outbox, shares};

/// Report-link emails an owner may ask for per hour: enough for anyone, and a bound on
/// what one account can make the outbox send.
pub const LINK_EMAILS_PER_HOUR: u64 = 20;

/// The reports feature. Cheap to clone.
#[derive(Clone)]
pub struct Reports {
    db: Db,
    /// Report links are read in batches, for every view waiting (see `reads_by_id`).
    links: Reader<LinkRows>,
    scopes: Arc<Scopes>,
    settings: Arc<SignInSettings>,
    mail_queued: Arc<Notify>,
    opens: Opens,
}

impl Reports {
    pub(crate) fn new(
        db: Db,
        scopes: Arc<Scopes>,
        settings: Arc<SignInSettings>,
        mail_queued: Arc<Notify>,
        opens: Opens,
    ) -> Self {
        let links = reads_by_id::start(db.read.clone(), LinkRows);
        Self { db, links, scopes, settings, mail_queued, opens }
    }

    /// How long a report link works: the `report` purpose's max-age.
    fn link_max_age(&self) -> Option<Duration> {
        self.scopes.report.purpose().max_age()
    }
}

/// Saves a new report of `owner_id`'s, rendering its body once, now.
pub async fn create(
    reports: &Reports,
    owner_id: i64,
    draft: &Draft,
    now: SystemTime,
) -> Result<report::Model, DbErr> {
    let now = unix_secs(now);
    report::ActiveModel {
        owner_id: Set(owner_id),
        title: Set(draft.title().to_owned()),
        body_markdown: Set(draft.markdown().to_owned()),
        body_html: Set(render::markdown_to_html(draft.markdown())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&reports.db.write)
    .await
}

/// Saves a generated report of `owner_id`'s with `html` as its body until its job fills
/// it in (see `activity_report`), in the caller's transaction.
pub(crate) async fn create_generated(
    db: &impl ConnectionTrait,
    owner_id: i64,
    title: &str,
    html: &str,
    now: SystemTime,
) -> Result<report::Model, DbErr> {
    let now = unix_secs(now);
    report::ActiveModel {
        owner_id: Set(owner_id),
        title: Set(title.to_owned()),
        body_markdown: Set(String::new()),
        body_html: Set(html.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Stores a generated report's body, written by its job (never by a person: it is not
/// sanitised here), in the caller's transaction.
pub(crate) async fn fill_generated(
    db: &impl ConnectionTrait,
    report_id: i64,
    html: &str,
    now: SystemTime,
) -> Result<(), DbErr> {
    report::Entity::update_many()
        .col_expr(report::Column::BodyHtml, Expr::value(html))
        .col_expr(report::Column::UpdatedAt, Expr::value(unix_secs(now)))
        .filter(report::Column::Id.eq(report_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Issues a link to the owner's report and queues its email, in the caller's transaction,
/// outside the hourly limit (for a generated report's "ready" email: its job is limited).
pub(crate) async fn queue_link_email(
    db: &impl ConnectionTrait,
    owner: &user::Model,
    report_id: i64,
    now: SystemTime,
) -> Result<(), DbErr> {
    let link = insert_link(db, owner.id, report_id, now).await?;
    outbox::enqueue(db, outbox_message::REPORT_LINK, link.id, &owner.email, now).await?;
    Ok(())
}

/// The owner's report, or `None` if there is no such report of theirs.
pub async fn get(
    reports: &Reports,
    owner_id: i64,
    report_id: i64,
) -> Result<Option<report::Model>, DbErr> {
    report::Entity::find_by_id(report_id)
        .filter(report::Column::OwnerId.eq(owner_id))
        .one(&reports.db.read)
        .await
}

/// The owner's reports, the most recently changed first.
pub async fn list(reports: &Reports, owner_id: i64) -> Result<Vec<report::Model>, DbErr> {
    report::Entity::find()
        .filter(report::Column::OwnerId.eq(owner_id))
        .order_by_desc(report::Column::UpdatedAt)
        .order_by_desc(report::Column::Id)
        .all(&reports.db.read)
        .await
}

/// Replaces the title and body of the owner's report; `None` if it is not theirs, or is
/// generated (its body is its job's, not Markdown).
pub async fn update(
    reports: &Reports,
    owner_id: i64,
    report_id: i64,
    draft: &Draft,
    now: SystemTime,
) -> Result<Option<report::Model>, DbErr> {
    let Some(found) = get(reports, owner_id, report_id).await? else {
        return Ok(None);
    };
    if jobs::of_report(&reports.db.read, report_id).await?.is_some() {
        return Ok(None);
    }
    let mut row: report::ActiveModel = found.into();
    row.title = Set(draft.title().to_owned());
    row.body_markdown = Set(draft.markdown().to_owned());
    row.body_html = Set(render::markdown_to_html(draft.markdown()));
    row.updated_at = Set(unix_secs(now));
    row.update(&reports.db.write).await.map(Some)
}

/// Deletes the owner's report and, with it, every link and share of it; false if it is not
/// theirs.
pub async fn delete(reports: &Reports, owner_id: i64, report_id: i64) -> Result<bool, DbErr> {
    let txn = reports.db.write.begin().await?;
    let Some(found) = report::Entity::find_by_id(report_id)
        .filter(report::Column::OwnerId.eq(owner_id))
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    // Explicitly, not by the foreign key's cascade alone: SQLite enforces foreign keys
    // only on connections that ask it to.
    report_link::Entity::delete_many()
        .filter(report_link::Column::ReportId.eq(found.id))
        .exec(&txn)
        .await?;
    shares::forget_report(&txn, found.id).await?;
    jobs::forget_report(&txn, found.id).await?;
    found.delete(&txn).await?;
    txn.commit().await?;
    Ok(true)
}

/// What became of "email me a link to this report".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkEmail {
    Queued,
    /// No such report of the owner's.
    NotFound,
    /// Over [`LINK_EMAILS_PER_HOUR`].
    OverLimit,
}

/// Issues a link to the owner's report and queues the email carrying it, in one
/// transaction. The token itself is minted when the email is prepared, so it is never
/// stored.
pub async fn email_link(
    reports: &Reports,
    owner: &user::Model,
    report_id: i64,
    now: SystemTime,
) -> Result<LinkEmail, DbErr> {
    let now_secs = unix_secs(now);
    let txn = db::begin_for_limits(&reports.db.write, None).await?;
    let owned = report::Entity::find_by_id(report_id)
        .filter(report::Column::OwnerId.eq(owner.id))
        .count(&txn)
        .await?;
    if owned == 0 {
        return Ok(LinkEmail::NotFound);
    }
    // Emails queued, not links held: revoking a link must not buy another email. Exact
    // across instances (see `lock_for_limits`).
    db::lock_for_limits(&txn, [format!("report-link-emails:{}", owner.id)]).await?;
    let recent = outbox_message::Entity::find()
        .filter(outbox_message::Column::Kind.eq(outbox_message::REPORT_LINK))
        .filter(outbox_message::Column::Recipient.eq(&owner.email))
        .filter(outbox_message::Column::CreatedAt.gt(now_secs - 3600))
        .count(&txn)
        .await?;
    if recent >= LINK_EMAILS_PER_HOUR {
        tracing::info!(user = owner.id, "report-link emails over the hourly limit; not sent");
        return Ok(LinkEmail::OverLimit);
    }
    let link = insert_link(&txn, owner.id, report_id, now).await?;
    outbox::enqueue(&txn, outbox_message::REPORT_LINK, link.id, &owner.email, now).await?;
    txn.commit().await?;
    reports.mail_queued.notify_one();
    Ok(LinkEmail::Queued)
}

/// Issues a link to the owner's report without an email, for the command line (`latchkey
/// link report`): the same row and token as an emailed link. `None` if the report is not
/// the owner's.
pub async fn issue_link(
    reports: &Reports,
    owner: &user::Model,
    report_id: i64,
    now: SystemTime,
) -> Result<Option<String>, DbErr> {
    if get(reports, owner.id, report_id).await?.is_none() {
        return Ok(None);
    }
    let link = insert_link(&reports.db.write, owner.id, report_id, now).await?;
    Ok(prepare_link_mail(reports, link.id, now).await?.map(|mail| mail.link))
}

async fn insert_link(
    db: &impl ConnectionTrait,
    owner_id: i64,
    report_id: i64,
    now: SystemTime,
) -> Result<report_link::Model, DbErr> {
    report_link::ActiveModel {
        report_id: Set(report_id),
        owner_id: Set(owner_id),
        created_at: Set(unix_secs(now)),
        last_opened_at: Set(None),
        opens: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// A report-link email, ready to render.
#[derive(Debug)]
pub struct ReportLinkMail {
    pub to: String,
    pub link: String,
    pub report_title: String,
    /// How long the link has left when the message is prepared; `None`: until revoked.
    pub valid_for: Option<Duration>,
}

/// Prepares the email of report link `link_id` for the mail worker: mints its token under
/// the owner's current revocation material. `None` when the link, its report or its owner
/// is gone, or the link expired while the email waited.
pub async fn prepare_link_mail(
    reports: &Reports,
    link_id: i64,
    now: SystemTime,
) -> Result<Option<ReportLinkMail>, DbErr> {
    let Some((link, found, owner)) = reports.links.submit(link_id).await? else {
        return Ok(None);
    };
    let linked = LinkedReport { link, report: found, max_age: reports.link_max_age() };
    if owner.status != user::ACTIVE || linked.state(now).is_err() {
        return Ok(None);
    }
    let token = reports.scopes.report.mint(
        Subject::User(u64::try_from(owner.id).unwrap_or_default()),
        Some(u64::try_from(linked.link.id).unwrap_or_default()),
        &accounts::revocation(&owner),
        now,
    );
    let valid_for = linked.expires_at().map(|at| at.duration_since(now).unwrap_or_default());
    Ok(Some(ReportLinkMail {
        to: owner.email,
        link: report_link_url(&reports.settings, linked.report.id, &token),
        report_title: linked.report.title,
        valid_for,
    }))
}

/// Where a report link points: the report's read-only view, with the token.
pub fn report_link_url(settings: &SignInSettings, report_id: i64, token: &str) -> String {
    format!("{}/reports/{report_id}/view?token={token}", settings.base_url)
}

/// One link of a report, as its owner's list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkSummary {
    pub id: i64,
    pub created_at: SystemTime,
    /// `None`: works until revoked.
    pub expires_at: Option<SystemTime>,
    pub last_opened_at: Option<SystemTime>,
    pub opens: i64,
}

/// The live links of the owner's report, newest first (none if it is not theirs).
pub async fn links_of(
    reports: &Reports,
    owner_id: i64,
    report_id: i64,
    now: SystemTime,
) -> Result<Vec<LinkSummary>, DbErr> {
    let max_age = reports.link_max_age();
    let rows = report_link::Entity::find()
        .filter(report_link::Column::ReportId.eq(report_id))
        .filter(report_link::Column::OwnerId.eq(owner_id))
        .order_by_desc(report_link::Column::Id)
        .all(&reports.db.read)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let expires_at = link_expiry(row.created_at, max_age);
            let live = expires_at.is_none_or(|at| at > now);
            live.then(|| LinkSummary {
                id: row.id,
                created_at: from_unix(row.created_at),
                expires_at,
                last_opened_at: row.last_opened_at.map(from_unix),
                opens: row.opens,
            })
        })
        .collect())
}

/// Every live link of the owner's, newest first, with its report's id and title.
pub async fn live_links_of_owner(
    reports: &Reports,
    owner_id: i64,
    now: SystemTime,
) -> Result<Vec<(LinkSummary, i64, String)>, DbErr> {
    let max_age = reports.link_max_age();
    let rows = report_link::Entity::find()
        .filter(report_link::Column::OwnerId.eq(owner_id))
        .find_also_related(report::Entity)
        .order_by_desc(report_link::Column::Id)
        .all(&reports.db.read)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(row, found)| {
            let found = found?;
            let expires_at = link_expiry(row.created_at, max_age);
            expires_at.is_none_or(|at| at > now).then(|| {
                let summary = LinkSummary {
                    id: row.id,
                    created_at: from_unix(row.created_at),
                    expires_at,
                    last_opened_at: row.last_opened_at.map(from_unix),
                    opens: row.opens,
                };
                (summary, found.id, found.title)
            })
        })
        .collect())
}

/// Deletes every report link of the account, in the caller's transaction: an email still
/// waiting in the outbox is then dropped rather than sent.
pub(crate) async fn revoke_all_links(
    db: &impl ConnectionTrait,
    owner_id: i64,
) -> Result<u64, DbErr> {
    let deleted = report_link::Entity::delete_many()
        .filter(report_link::Column::OwnerId.eq(owner_id))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// Revokes one link of the owner's, at once; false if it is not theirs.
pub async fn revoke_link(reports: &Reports, owner_id: i64, link_id: i64) -> Result<bool, DbErr> {
    let deleted = report_link::Entity::delete_many()
        .filter(report_link::Column::Id.eq(link_id))
        .filter(report_link::Column::OwnerId.eq(owner_id))
        .exec(&reports.db.write)
        .await?;
    Ok(deleted.rows_affected == 1)
}

/// A report as a link shows it: read-only, nothing else of the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedView {
    pub report_id: i64,
    pub title: String,
    pub body_html: String,
    pub updated_at: SystemTime,
    /// When the link stops working; `None`: until revoked.
    pub link_expires_at: Option<SystemTime>,
}

/// Opens report `report_id` with a link's token. A link for another report, of another
/// account, revoked, expired or forged is refused (the reason is for logs).
pub async fn open_link(
    reports: &Reports,
    report_id: i64,
    token: &str,
    visit: Visit,
    now: SystemTime,
) -> Result<Result<LinkedView, Rejection>, DbErr> {
    let max_age = reports.link_max_age();
    let reader = &reports.links;
    let opened = links::open(&reports.scopes.report, token, now, |link_id| async move {
        // The link, its report and its owner in one query, shared with the views waiting.
        let found = reader.submit(link_id).await?;
        Ok(found.map(|(link, report, owner)| (LinkedReport { link, report, max_age }, owner)))
    })
    .await?;
    let linked = match opened {
        Ok(opened) => opened.row,
        Err(Refused::Invalid(rejection)) => return Ok(Err(rejection)),
        Err(Refused::Gone(_)) => return Ok(Err(Rejection::Expired)),
    };
    if linked.report.id != report_id {
        return Ok(Err(Rejection::WrongResource));
    }
    // A report link's opens are not split: it is the owner's own link.
    if visit != Visit::NotCounted {
        reports.opens.count(Counter::ReportLink(linked.link.id), now);
    }
    Ok(Ok(LinkedView {
        report_id: linked.report.id,
        link_expires_at: linked.expires_at(),
        updated_at: from_unix(linked.report.updated_at),
        title: linked.report.title,
        body_html: linked.report.body_html,
    }))
}

/// What a report link opens, for whichever answer shows it (the page or the JSON for
/// scripts): the report, or why not, the reason already logged.
#[derive(Debug)]
pub enum LinkReading {
    Open(LinkedView),
    /// One answer for every link that does not work; the reason went to the log.
    DoesNotWork,
    /// The database failed: not the link's fault.
    Unavailable,
}

/// [`open_link`], with its refusals and failures logged once for every answer.
pub async fn read_link(
    reports: &Reports,
    report_id: i64,
    token: &str,
    visit: Visit,
    now: SystemTime,
) -> LinkReading {
    match open_link(reports, report_id, token, visit, now).await {
        Ok(Ok(view)) => LinkReading::Open(view),
        Ok(Err(rejection)) => {
            tracing::debug!(%rejection, report = report_id, "report link refused");
            LinkReading::DoesNotWork
        }
        Err(error) => {
            tracing::error!(%error, "report link: database error");
            LinkReading::Unavailable
        }
    }
}

/// Writes the opens counted so far, of report links and shares alike (the counter does so
/// every second by itself).
pub async fn flush_opens(reports: &Reports) -> Result<(), DbErr> {
    reports.opens.flush(&reports.db.write).await
}

/// Deletes links that expired over a day ago: none can open anything any more.
pub async fn purge_expired_links(reports: &Reports, now: SystemTime) -> Result<u64, DbErr> {
    let Some(max_age) = reports.link_max_age() else {
        return Ok(0);
    };
    let before = unix_secs(now).saturating_sub(secs(max_age)).saturating_sub(86_400);
    let deleted = report_link::Entity::delete_many()
        .filter(report_link::Column::CreatedAt.lt(before))
        .exec(&reports.db.write)
        .await?;
    Ok(deleted.rows_affected)
}

/// When a link created at `created_at` stops working; `None`: never (no max-age, or one so
/// long it cannot be represented).
fn link_expiry(created_at: i64, max_age: Option<Duration>) -> Option<SystemTime> {
    max_age.and_then(|age| from_unix(created_at).checked_add(age))
}

/// A report link with its report, as the link check loads them, and how long links live.
struct LinkedReport {
    link: report_link::Model,
    report: report::Model,
    max_age: Option<Duration>,
}

impl LinkedReport {
    /// Counted from the row, not the token: the row's time is what the owner's list shows,
    /// and a token minted late (a retried email) must not outlive it.
    fn expires_at(&self) -> Option<SystemTime> {
        link_expiry(self.link.created_at, self.max_age)
    }
}

impl LinkRow for LinkedReport {
    fn account_id(&self) -> i64 {
        // The link and its report must agree on the owner; if they ever did not, the
        // token would open nothing.
        if self.link.owner_id == self.report.owner_id { self.link.owner_id } else { -1 }
    }

    /// Revoking deletes the row, so a row that exists is revoked only by expiry.
    fn state(&self, now: SystemTime) -> Result<(), Gone> {
        match self.expires_at() {
            Some(at) if at <= now => Err(Gone::Expired),
            _ => Ok(()),
        }
    }
}
