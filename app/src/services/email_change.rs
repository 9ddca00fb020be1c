//! Changing an account's email: a confirmation link to the new address (purpose
//! `email_change`) and, to the old one, a notice with "this wasn't me" (purpose
//! `email_undo`).
//!
//! Why it is built this way:
//! - The confirmation is signed under the account's revocation material, which holds the
//!   email itself: confirming one change (or signing out everywhere) kills every other
//!   outstanding confirmation, and the link is spent by its row (confirmed once).
//! - Confirming is a sign-out everywhere: every session and every token bound to the
//!   account dies (sign-in, report and personal links); shares the account made are bound
//!   to their guests and stay. The browser that confirms is signed in afresh, since it has
//!   just proved it reads the new mailbox.
//! - "This wasn't me" is signed under its change row, so it outlives the change: someone
//!   who got into the account and confirmed a change to their own address at once can
//!   still be undone by the owner, whose old mailbox holds the notice. Undoing restores the
//!   old address and signs out everywhere.
//! - A new address that already has an account gets a message there saying so, and the
//!   requester sees the same "check your new address" either way: asking reveals nothing.
//! - Requests are limited per account per day (each sends up to two emails).
//! - While the undo link works, the old address stays the account's to take back (see
//!   `accounts::Reserved`): nobody else signs in with it or moves to it, and a guest made
//!   there by a share since is folded into the account by the undo.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _,
    PaginatorTrait as _, QueryFilter as _, Set, TransactionTrait as _,
};
use tokens::{Rejection, Revocation, Scope, Subject};
use tokio::sync::Notify;

use crate::domain::{EmailAddress, EmailAddressError};
use crate::entities::email_change::{
    self as change, CONFIRMED, PENDING, SUPERSEDED, TAKEN, UNDONE,
};
use crate::entities::{outbox_message, user};
use crate::services::links::{self, Gone, LinkRow, Refused};
use crate::services::time::{from_unix, unix_secs};
use crate::services::{
    Db, Scopes, SignInSettings, accounts, db, outbox, security, sessions, shares,
};

/// Change requests an account may make per 24 hours.
pub const PER_DAY: u64 = 5;
/// How long a change row is kept after its links expire: past the daily limit's window.
const KEPT_PAST_LINKS: Duration = Duration::from_secs(86_400);

/// The email-change feature. Cheap to clone.
#[derive(Clone)]
pub struct EmailChanges {
    db: Db,
    scopes: Arc<Scopes>,
    settings: Arc<SignInSettings>,
    mail_queued: Arc<Notify>,
}

impl EmailChanges {
    pub(crate) fn new(
        db: Db,
        scopes: Arc<Scopes>,
        settings: Arc<SignInSettings>,
        mail_queued: Arc<Notify>,
    ) -> Self {
        Self { db, scopes, settings, mail_queued }
    }
}

/// Why a change could not be asked for; `Display` is what the settings page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    Invalid(EmailAddressError),
    SameAddress,
    TooMany,
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(error) => write!(f, "{error}"),
            Self::SameAddress => f.write_str("That is already your address."),
            Self::TooMany => write!(
                f,
                "You have asked to change your address {PER_DAY} times today; try again tomorrow."
            ),
        }
    }
}

/// Asks to change `account`'s address to `new`. The caller checks that the session
/// confirmed recently (see `sessions::recently_confirmed`). Answers the address as
/// normalised, to show in "check your new address", whether or not it is taken.
pub async fn request(
    changes: &EmailChanges,
    account: &user::Model,
    new: &str,
    now: SystemTime,
) -> Result<Result<EmailAddress, RequestError>, DbErr> {
    let new = match EmailAddress::parse(new) {
        Ok(new) => new,
        Err(error) => return Ok(Err(RequestError::Invalid(error))),
    };
    if new.as_str() == account.email {
        return Ok(Err(RequestError::SameAddress));
    }
    let now_secs = unix_secs(now);
    let txn = db::begin_for_limits(&changes.db.write, None).await?;
    db::lock_for_limits(&txn, [format!("email-changes:{}", account.id)]).await?;
    let today = change::Entity::find()
        .filter(change::Column::UserId.eq(account.id))
        .filter(change::Column::CreatedAt.gt(now_secs - 86_400))
        .count(&txn)
        .await?;
    if today >= PER_DAY {
        return Ok(Err(RequestError::TooMany));
    }
    // One pending change at a time: the latest is the one the owner means.
    change::Entity::update_many()
        .col_expr(change::Column::Status, Expr::value(SUPERSEDED))
        .filter(change::Column::UserId.eq(account.id))
        .filter(change::Column::Status.eq(PENDING))
        .exec(&txn)
        .await?;
    // Taken too when another account left it lately and may still take it back. Both
    // asked every time, so that the time taken says nothing of which.
    let held = accounts::find_by_email(&txn, &new).await?.is_some();
    let kept = reserved_for_another(changes, &txn, &new, account.id, now).await?.is_some();
    let taken = held || kept;
    let row = change::ActiveModel {
        user_id: Set(account.id),
        old_email: Set(account.email.clone()),
        new_email: Set(new.as_str().to_owned()),
        status: Set(if taken { TAKEN } else { PENDING }.to_owned()),
        created_at: Set(now_secs),
        confirmed_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if taken {
        outbox::enqueue(&txn, outbox_message::EMAIL_TAKEN, row.id, new.as_str(), now).await?;
    } else {
        outbox::enqueue(&txn, outbox_message::EMAIL_CHANGE, row.id, new.as_str(), now).await?;
    }
    // Whether or not the new address is free, the owner hears of the attempt, with "this
    // wasn't me" (which then signs out everywhere): a session thief probing addresses must
    // not stay unnoticed.
    outbox::enqueue(&txn, outbox_message::EMAIL_CHANGE_NOTICE, row.id, &account.email, now).await?;
    txn.commit().await?;
    changes.mail_queued.notify_one();
    Ok(Ok(new))
}

/// What the confirmation page may show before the button is pressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub masked_old: String,
    pub new_email: String,
}

/// Why a confirmation or an undo did nothing. Only a genuine link hears anything but
/// `Invalid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Malformed, forged, superseded by another change or by signing out everywhere: the
    /// reason is for logs only.
    Invalid(Rejection),
    /// Used already, undone, or expired.
    Gone(Gone),
    /// The new address got an account after the change was asked for.
    Taken,
}

impl From<Refused> for Refusal {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::Invalid(rejection) => Self::Invalid(rejection),
            Refused::Gone(gone) => Self::Gone(gone),
        }
    }
}

/// Whether a confirmation link would change the address, without changing it.
pub async fn check(
    changes: &EmailChanges,
    token: &str,
    now: SystemTime,
) -> Result<Result<Pending, Refusal>, DbErr> {
    let opened = match open(changes, &changes.scopes.email_change, token, now, Confirm).await? {
        Ok(opened) => opened,
        Err(refused) => return Ok(Err(refused.into())),
    };
    Ok(Ok(Pending {
        masked_old: EmailAddress::mask_stored(&opened.row.row.old_email),
        new_email: opened.row.row.new_email,
    }))
}

/// A confirmed change: the account, now under its new address, and the session started
/// for the browser that confirmed.
#[derive(Clone, PartialEq, Eq)]
pub struct Confirmed {
    pub user_id: i64,
    pub new_email: String,
    /// For the cookie (see `sessions::cookie`).
    pub session_id: String,
}

/// The session id is a bearer credential: never in a log line.
impl std::fmt::Debug for Confirmed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Confirmed").field("user_id", &self.user_id).finish_non_exhaustive()
    }
}

/// Confirms the change the link names: the account takes the new address, every session
/// and token bound to it dies, and the confirming browser (whose session `replaces` ends)
/// is signed in afresh. All in one transaction.
pub async fn confirm(
    changes: &EmailChanges,
    token: &str,
    replaces: Option<&str>,
    now: SystemTime,
) -> Result<Result<Confirmed, Refusal>, DbErr> {
    let opened = match open(changes, &changes.scopes.email_change, token, now, Confirm).await? {
        Ok(opened) => opened,
        Err(refused) => return Ok(Err(refused.into())),
    };
    let row = opened.row.row;
    let txn = db::begin_for_limits(&changes.db.write, None).await?;
    // Spent here: of two presses of the button, one confirms.
    let spent = change::Entity::update_many()
        .col_expr(change::Column::Status, Expr::value(CONFIRMED))
        .col_expr(change::Column::ConfirmedAt, Expr::value(unix_secs(now)))
        .filter(change::Column::Id.eq(row.id))
        .filter(change::Column::Status.eq(PENDING))
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Ok(Err(Refusal::Gone(Gone::Revoked)));
    }
    let Ok(new) = EmailAddress::parse(&row.new_email) else {
        return Ok(Err(Refusal::Invalid(Rejection::Malformed)));
    };
    if accounts::find_by_email(&txn, &new).await?.is_some()
        || reserved_for_another(changes, &txn, &new, opened.account.id, now).await?.is_some()
    {
        return Ok(Err(Refusal::Taken));
    }
    // Under the material the link verified against: a change or sign-out since loses.
    let moved = set_email(&txn, &opened.account, &row.new_email).await;
    match moved {
        Ok(true) => {}
        Ok(false) => return Ok(Err(Refusal::Invalid(Rejection::BadSignature))),
        Err(error) if db::is_unique_violation(&error) => return Ok(Err(Refusal::Taken)),
        Err(error) => return Err(error),
    }
    // `set_email` bumped the epoch; the link rows go too, so none is minted afresh.
    security::revoke_links(&txn, opened.account.id).await?;
    let start = sessions::Start {
        user_id: opened.account.id,
        token_epoch: opened.account.token_epoch + 1,
        replaces,
        personal_link: None,
    };
    let session_id = sessions::start(&txn, &[start], now, changes.settings.session_idle)
        .await?
        .pop()
        .ok_or_else(|| DbErr::Custom("no session was started".into()))?;
    txn.commit().await?;
    Ok(Ok(Confirmed { user_id: opened.account.id, new_email: row.new_email, session_id }))
}

/// What the "this wasn't me" page may show before the button is pressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Undoable {
    pub old_email: String,
    pub masked_new: String,
    /// The account is under the new address already.
    pub confirmed: bool,
}

/// Whether an undo link would undo anything, without doing it.
pub async fn check_undo(
    changes: &EmailChanges,
    token: &str,
    now: SystemTime,
) -> Result<Result<Undoable, Refusal>, DbErr> {
    let opened = match open(changes, &changes.scopes.email_undo, token, now, Undo).await? {
        Ok(opened) => opened,
        Err(refused) => return Ok(Err(refused.into())),
    };
    let row = opened.row.row;
    Ok(Ok(Undoable {
        masked_new: EmailAddress::mask_stored(&row.new_email),
        confirmed: row.status == CONFIRMED,
        old_email: row.old_email,
    }))
}

/// What undoing did, to which account and which change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Undone {
    pub user_id: i64,
    /// The address the change was to.
    pub new_email: String,
    pub outcome: UndoOutcome,
}

/// Every outcome signs the account out everywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UndoOutcome {
    /// Not confirmed yet: cancelled.
    Cancelled,
    /// Confirmed already: the old address is back.
    Reverted,
    /// Confirmed, and the old address has another account since, so it cannot come back:
    /// the account is deactivated (its sessions and links die) for the operator to settle.
    Deactivated,
}

/// Undoes the change the link names (see [`Undone`]), and signs out everywhere.
pub async fn undo(
    changes: &EmailChanges,
    token: &str,
    now: SystemTime,
) -> Result<Result<Undone, Refusal>, DbErr> {
    let opened = match open(changes, &changes.scopes.email_undo, token, now, Undo).await? {
        Ok(opened) => opened,
        Err(refused) => return Ok(Err(refused.into())),
    };
    let row = opened.row.row;
    let user_id = opened.account.id;
    let txn = db::begin_for_limits(&changes.db.write, None).await?;
    // In turn with a share making a guest there (see `shares::guests`): otherwise one made
    // after the holder is looked up below would turn the restore into a deactivation.
    db::lock_for_limits(&txn, [accounts::address_lock(&row.old_email)]).await?;
    // As it is now, not as the link found it: a concurrent change or sign-out must not
    // make the conditional update below miss, and deactivate the account for it.
    let Some(account) = user::Entity::find_by_id(user_id).one(&txn).await? else {
        return Ok(Err(Refusal::Gone(Gone::Revoked)));
    };
    let undone = change::Entity::update_many()
        .col_expr(change::Column::Status, Expr::value(UNDONE))
        .filter(change::Column::Id.eq(row.id))
        .filter(change::Column::Status.eq(row.status.as_str()))
        .exec(&txn)
        .await?;
    if undone.rows_affected != 1 {
        return Ok(Err(Refusal::Gone(Gone::Revoked)));
    }
    // A confirmed change is reverted whatever the address is now: a later change made from
    // the new address would otherwise keep the account out of its owner's hands.
    let outcome = if row.status == CONFIRMED {
        // Free, or this account's own again (changed back since), or a guest's: the
        // address was kept for this account (see `accounts::Reserved`), so a guest there
        // was made by a share to it since, and what was shared goes to its mailbox's owner.
        let old_free = match EmailAddress::parse(&row.old_email) {
            Ok(old) => match accounts::find_by_email(&txn, &old).await? {
                None => true,
                Some(holder) if holder.id == user_id => true,
                Some(holder) if holder.status == user::GUEST => {
                    shares::hand_guest_over(&txn, holder.id, user_id).await?
                }
                Some(_) => false,
            },
            Err(_) => false,
        };
        let restored = if old_free && account.email == row.old_email {
            accounts::bump_epoch(&txn, user_id).await?;
            true
        } else if old_free {
            // In a savepoint: on PostgreSQL a refused statement aborts the transaction it
            // is in, and the rest of the undo must still be written.
            let attempt = txn.begin().await?;
            match set_email(&attempt, &account, &row.old_email).await {
                Ok(restored) => {
                    attempt.commit().await?;
                    restored
                }
                Err(error) if db::is_unique_violation(&error) => {
                    attempt.rollback().await?;
                    false
                }
                Err(error) => return Err(error),
            }
        } else {
            false
        };
        if restored {
            UndoOutcome::Reverted
        } else {
            user::Entity::update_many()
                .col_expr(user::Column::Status, Expr::value(user::DEACTIVATED))
                .filter(user::Column::Id.eq(user_id))
                .exec(&txn)
                .await?;
            tracing::warn!(
                user = user_id,
                "email change undone, but the old address has another account: deactivated"
            );
            UndoOutcome::Deactivated
        }
    } else {
        UndoOutcome::Cancelled
    };
    // Every later change goes too, confirmed or not: an intruder who moved the account on
    // again must not undo this undo with the later change's own link.
    change::Entity::update_many()
        .col_expr(change::Column::Status, Expr::value(UNDONE))
        .filter(change::Column::UserId.eq(user_id))
        .filter(change::Column::Id.gt(row.id))
        .exec(&txn)
        .await?;
    change::Entity::update_many()
        .col_expr(change::Column::Status, Expr::value(SUPERSEDED))
        .filter(change::Column::UserId.eq(user_id))
        .filter(change::Column::Status.eq(PENDING))
        .exec(&txn)
        .await?;
    if outcome != UndoOutcome::Reverted {
        accounts::bump_epoch(&txn, user_id).await?;
    }
    security::revoke_links(&txn, user_id).await?;
    txn.commit().await?;
    Ok(Ok(Undone { user_id, new_email: row.new_email, outcome }))
}

/// Whether `email` is kept for an account other than `account` (see `accounts::Reserved`).
async fn reserved_for_another(
    changes: &EmailChanges,
    db: &impl ConnectionTrait,
    email: &EmailAddress,
    account: i64,
    now: SystemTime,
) -> Result<Option<accounts::Reserved>, DbErr> {
    let kept_for = changes.scopes.address_kept_for();
    accounts::reserved(db, email.as_str(), Some(account), kept_for, now).await
}

/// Sets the account's address and bumps its epoch, if it is still as `account` says (same
/// address, same epoch); false if it changed since.
async fn set_email(
    db: &impl ConnectionTrait,
    account: &user::Model,
    email: &str,
) -> Result<bool, DbErr> {
    let updated = user::Entity::update_many()
        .col_expr(user::Column::Email, Expr::value(email))
        .col_expr(user::Column::TokenEpoch, Expr::value(account.token_epoch + 1))
        .filter(user::Column::Id.eq(account.id))
        .filter(user::Column::Email.eq(account.email.as_str()))
        .filter(user::Column::TokenEpoch.eq(account.token_epoch))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Deletes change rows past their links' life (and a day more, for the daily limit). With
/// no max-age on the undo link, rows are kept.
pub async fn purge(changes: &EmailChanges, now: SystemTime) -> Result<u64, DbErr> {
    let purposes = [&changes.scopes.email_undo, &changes.scopes.email_change];
    let ages: Option<Vec<Duration>> = purposes.iter().map(|s| s.purpose().max_age()).collect();
    let Some(longest) = ages.and_then(|ages| ages.into_iter().max()) else {
        return Ok(0);
    };
    let keep = i64::try_from((longest + KEPT_PAST_LINKS).as_secs()).unwrap_or(i64::MAX);
    let deleted = change::Entity::delete_many()
        .filter(change::Column::CreatedAt.lt(unix_secs(now).saturating_sub(keep)))
        .exec(&changes.db.write)
        .await?;
    Ok(deleted.rows_affected)
}

/// One of the three emails a change sends, ready to render.
#[derive(Debug)]
pub enum ChangeMail {
    /// To the new address: the confirmation link.
    Confirm { to: String, masked_old: String, link: String, valid_for: Duration },
    /// To the old address: what was asked, and "this wasn't me".
    Notice { to: String, new_email: String, undo_link: String, valid_for: Duration },
    /// To a new address that has an account already.
    Taken { to: String },
    /// To a new address another account left lately and may still take back (see
    /// `accounts::Reserved`), until `until`.
    Reserved { to: String, until: SystemTime },
}

/// Prepares the email of `kind` for change `id` (the mail worker): mints its link. `None`
/// when it is no longer worth sending (the change was confirmed, undone or replaced, or
/// its link expired while the email waited).
pub async fn prepare_mail(
    changes: &EmailChanges,
    kind: &str,
    id: i64,
    now: SystemTime,
) -> Result<Option<ChangeMail>, DbErr> {
    let db = &changes.db.read;
    let Some((row, Some(account))) =
        change::Entity::find_by_id(id).find_also_related(user::Entity).one(db).await?
    else {
        return Ok(None);
    };
    let created = from_unix(row.created_at);
    let left = |scope: &Scope| {
        // No max-age (`none`): good for as long as anyone could wait.
        let Some(end) = scope.purpose().max_age().and_then(|age| created.checked_add(age)) else {
            return Some(Duration::from_secs(100 * 365 * 86_400));
        };
        end.duration_since(now).ok().filter(|left| !left.is_zero())
    };
    let subject = Subject::User(u64::try_from(account.id).unwrap_or_default());
    let resource = Some(u64::try_from(row.id).unwrap_or_default());
    let base = &changes.settings.base_url;
    Ok(match kind {
        outbox_message::EMAIL_CHANGE => {
            let scope = &changes.scopes.email_change;
            // Signed under the account's material now; a change since makes it dead on
            // arrival, and then it is not sent.
            if row.status != PENDING || account.email != row.old_email {
                return Ok(None);
            }
            let Some(valid_for) = left(scope) else { return Ok(None) };
            let token = scope.mint(subject, resource, &accounts::revocation(&account), created);
            Some(ChangeMail::Confirm {
                to: row.new_email,
                masked_old: EmailAddress::mask_stored(&row.old_email),
                link: format!("{base}/email/confirm?token={token}"),
                valid_for,
            })
        }
        outbox_message::EMAIL_CHANGE_NOTICE => {
            let scope = &changes.scopes.email_undo;
            if row.status == UNDONE {
                return Ok(None);
            }
            let Some(valid_for) = left(scope) else { return Ok(None) };
            let token = scope.mint(subject, resource, &undo_material(&row), created);
            Some(ChangeMail::Notice {
                to: row.old_email,
                new_email: row.new_email,
                undo_link: format!("{base}/email/undo?token={token}"),
                valid_for,
            })
        }
        outbox_message::EMAIL_TAKEN => {
            let held = accounts::holder_of(db, &row.new_email).await?.map(|holder| holder.id);
            let kept_for = changes.scopes.address_kept_for();
            let reserved = accounts::reserved(db, &row.new_email, held, kept_for, now).await?;
            Some(match reserved {
                Some(reserved) => ChangeMail::Reserved { to: row.new_email, until: reserved.until },
                None => ChangeMail::Taken { to: row.new_email },
            })
        }
        _ => None,
    })
}

/// Which link a token is opened as: the row and rules differ.
trait Kind: Copy {
    type Row: LinkRow;
    fn wrap(self, row: change::Model) -> Self::Row;
}

#[derive(Clone, Copy)]
struct Confirm;
#[derive(Clone, Copy)]
struct Undo;

impl Kind for Confirm {
    type Row = ConfirmLink;
    fn wrap(self, row: change::Model) -> ConfirmLink {
        ConfirmLink { row }
    }
}

impl Kind for Undo {
    type Row = UndoLink;
    fn wrap(self, row: change::Model) -> UndoLink {
        UndoLink { row }
    }
}

async fn open<K: Kind>(
    changes: &EmailChanges,
    scope: &Scope,
    token: &str,
    now: SystemTime,
    kind: K,
) -> Result<Result<links::Opened<K::Row>, Refused>, DbErr> {
    let db = &changes.db.read;
    links::open(scope, token, now, |id| async move {
        let found = change::Entity::find_by_id(id).find_also_related(user::Entity).one(db);
        Ok(match found.await? {
            Some((row, Some(account))) => Some((kind.wrap(row), account)),
            _ => None,
        })
    })
    .await
}

/// A change row, as its confirmation link sees it. Signed under the account's material
/// (the default): any other change or a sign-out everywhere kills it.
struct ConfirmLink {
    row: change::Model,
}

impl LinkRow for ConfirmLink {
    fn account_id(&self) -> i64 {
        self.row.user_id
    }

    /// The token's max-age covers expiry; the row says whether it was spent.
    fn state(&self, _now: SystemTime) -> Result<(), Gone> {
        if self.row.status == PENDING { Ok(()) } else { Err(Gone::Revoked) }
    }
}

/// A change row, as its "this wasn't me" link sees it.
struct UndoLink {
    row: change::Model,
}

/// The undo link's material: the row's creation and the address the notice went to.
/// Neither changes when the account's address or epoch does.
fn undo_material(row: &change::Model) -> Revocation<'_> {
    Revocation { epoch: u64::try_from(row.created_at).unwrap_or(0), email: &row.old_email }
}

impl LinkRow for UndoLink {
    fn account_id(&self) -> i64 {
        self.row.user_id
    }

    fn revocation<'a>(&'a self, _account: &'a user::Model) -> Revocation<'a> {
        undo_material(&self.row)
    }

    /// A pending or confirmed change can be undone, once.
    fn state(&self, _now: SystemTime) -> Result<(), Gone> {
        if self.row.status == PENDING || self.row.status == CONFIRMED {
            Ok(())
        } else {
            Err(Gone::Revoked)
        }
    }
}
