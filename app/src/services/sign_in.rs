//! Signing in by email: the request, the link, the code.
//!
//! A request is a row in `sign_in_requests`. Its email carries a link (a `login` token whose
//! resource is the request) and a 6-digit code; whichever is used first consumes the
//! request, which kills the other: the request row is what makes the link single-use. The
//! requesting browser keeps a cookie whose digest is in the row: opened there, the link
//! signs in at once; opened anywhere else it asks for more (see `proof`). Codes typed
//! without the link draw on failure budgets (see `budgets`). Every failure path is silent
//! towards the person asking (one generic answer) and explicit in the log at debug level.

mod budgets;
mod codes;
mod finish;
mod handles;
mod link_check;
mod proof;
mod redeem;
mod requests;
mod signed_in;
mod writer;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, DbErr, EntityTrait as _, QueryFilter as _,
    TransactionTrait as _,
};
use tokens::{Rejection, Subject};
use tokio::sync::Notify;

use self::budgets::Budgets;
pub use self::budgets::Spent;
pub use self::codes::CodeHasher;
use self::finish::{Finishing, finish_many};
use self::handles::{handle_key, new_handle};
use self::link_check::{LinkChecker, Presented};
pub use self::proof::{Ask, Proof};
use self::redeem::Spend;
pub use self::requests::Outcome;
use self::requests::{Pending, SignInRules};
pub use self::signed_in::SignedIn;
use self::writer::Writer;
use crate::domain::{EmailAddress, NextPath, SignInCode};
use crate::entities::{sign_in_request, user};
use crate::services::batcher::Placement;
use crate::services::time::{from_unix, secs, unix_secs};
use crate::services::{Db, Scopes, SignInSettings};
use crate::services::{accounts, activity, network};

/// The sign-in feature: its database, rules, and the batching tasks of its hot paths.
/// Cheap to clone.
#[derive(Clone)]
pub struct SignIn {
    db: Db,
    scopes: Arc<Scopes>,
    settings: Arc<SignInSettings>,
    codes: CodeHasher,
    /// Writes sign-in requests and spent links, several per transaction.
    writer: Writer,
    /// Checks sign-in links, several per query.
    links: LinkChecker,
    budgets: Budgets,
}

impl SignIn {
    /// Starts the writer and the link checker (from within a Tokio runtime). `mail_queued`
    /// is poked whenever a request queues its email.
    pub(crate) fn start(
        db: Db,
        scopes: Arc<Scopes>,
        settings: Arc<SignInSettings>,
        codes: CodeHasher,
        mail_queued: Arc<Notify>,
    ) -> Self {
        let placement = Placement::for_backend(db.write.get_database_backend());
        let login_max_age = login_max_age(&scopes);
        let address_kept_for = scopes.address_kept_for();
        let rules = SignInRules { settings: settings.clone(), login_max_age, address_kept_for };
        let writer = writer::start(db.write.clone(), rules, mail_queued, placement);
        let links = link_check::start(db.read.clone(), scopes.clone(), placement);
        let budgets = Budgets::new(settings.code_budgets.clone());
        Self { db, scopes, settings, codes, writer, links, budgets }
    }
}

/// Wrong codes allowed per request, with or without its link; the next try finds the
/// request dead. Codes typed without the link also draw on the failure budgets.
pub const MAX_CODE_ATTEMPTS: i32 = 5;
/// The longest max-age a sign-in link may be configured with (it is spent by its request
/// row, so the token crate sets no bound): links get forwarded and mailboxes leak.
pub const MAX_LINK_AGE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
const MAX_USER_AGENT_LEN: usize = 256;

/// Where a request came from, for rate limits and for the email ("Chrome on Linux, from
/// 203.0.113.7").
#[derive(Clone, Debug)]
pub struct Origin<'a> {
    pub client_ip: IpAddr,
    pub user_agent: &'a str,
    /// The secret of the browser's request cookie (see [`new_browser_secret`]), which binds
    /// the request to that browser. None for a client that keeps no cookies.
    pub browser: Option<&'a str>,
}

/// A new secret for a browser's request cookie: 128 random bits. Keep one per browser and
/// pass it with each of its requests, so that every one of them stays bound to it.
pub fn new_browser_secret() -> String {
    crate::services::digest::new_secret::<16>()
}

/// The answer to a request: the handle the requesting browser keeps to type the code.
#[derive(Debug)]
pub struct Requested {
    pub handle: String,
    pub outcome: Outcome,
}

/// Records a sign-in request and, within the limits, queues its email, in one transaction
/// (shared with what else is being written at that moment: see `writer`).
/// Never looks up accounts and never waits for mail, so neither shows in its timing.
pub async fn request(
    sign_in: &SignIn,
    email: &str,
    next: Option<&str>,
    origin: &Origin<'_>,
    now: SystemTime,
) -> Result<Requested, DbErr> {
    let (handle, handle_hash) = new_handle(now);
    let address = EmailAddress::parse(email).ok();
    let ip = rate_limit_key(origin.client_ip);
    let email = address.as_ref().map_or_else(|| truncate(email.trim(), 254), ToString::to_string);
    let pending = Pending {
        handle_hash,
        valid_address: address.is_some(),
        mailbox: address.as_ref().map_or_else(|| email.clone(), EmailAddress::mailbox),
        email,
        client_ip: ip.clone(),
        network: network::mail_network(origin.client_ip),
        user_agent: truncate(origin.user_agent, MAX_USER_AGENT_LEN),
        next: next.and_then(NextPath::parse),
        browser_hash: origin.browser.map(proof::browser_digest),
        binding: sign_in_request::BROWSER,
        now,
    };
    let written = sign_in.writer.sign_in_request(pending).await?;
    log_written(&written, &ip);
    Ok(Requested { handle, outcome: written.outcome })
}

fn log_written(written: &requests::Written, ip: &str) {
    match (written.outcome, written.id) {
        (Outcome::OverIpLimit, _) => {
            // Nothing was written: a flood from one address must not grow the table.
            tracing::info!(client_ip = %ip, "sign-in request over the per-IP limit; not recorded");
        }
        (Outcome::OverAddressLimit, id) => {
            tracing::info!(client_ip = %ip, request = ?id, "sign-in email over the per-address limit; not sent");
        }
        (Outcome::InvalidAddress, id) => {
            tracing::debug!(request = ?id, "sign-in request for an invalid address; not sent");
        }
        (Outcome::Queued, _) => {}
    }
}

/// The sign-in email of one request, ready to render.
#[derive(Debug)]
pub struct SignInMail {
    pub to: String,
    pub link: String,
    pub code: SignInCode,
    pub expires_at: SystemTime,
    /// How long the link has left when the message is prepared (less than the max-age when
    /// delivery was retried).
    pub valid_for: std::time::Duration,
    pub requested_at: SystemTime,
    pub user_agent: String,
    pub client_ip: String,
}

/// The email answering a request for an address kept for the account that left it (see
/// `accounts::Reserved`): no link and no code, but where the account went, and how to take
/// it back if that was not its owner's doing.
#[derive(Debug)]
pub struct AddressKeptMail {
    pub to: String,
    /// The address the account moved to, masked.
    pub moved_to: String,
    pub moved_at: SystemTime,
    /// When the address is free again; `None` if never.
    pub until: SystemTime,
}

/// What a sign-in request's email says.
#[derive(Debug)]
pub enum SignInEmail {
    Link(SignInMail),
    AddressKept(AddressKeptMail),
}

/// Prepares a request's email for the mail worker: its code (derived from the request, so
/// a retry sends the same one; hashed here, off the request path, on the first delivery
/// only) and a link. `None` when the request was consumed or has expired.
pub async fn prepare_mail(
    sign_in: &SignIn,
    request_id: i64,
    now: SystemTime,
) -> Result<Option<SignInEmail>, DbErr> {
    let db = &sign_in.db.read;
    let Some(request) = sign_in_request::Entity::find_by_id(request_id).one(db).await? else {
        return Ok(None);
    };
    if request.consumed_at.is_some() || request.expires_at <= unix_secs(now) {
        return Ok(None);
    }
    let holder = accounts::holder_of(db, &request.email).await?;
    // Only a new account or a guest could take a kept address; checked here, off the
    // request path, and again when the request is redeemed.
    if holder.as_ref().is_none_or(|u| u.status == user::GUEST) {
        let kept_for = sign_in.scopes.address_kept_for();
        let holder_id = holder.as_ref().map(|u| u.id);
        if let Some(kept) = accounts::reserved(db, &request.email, holder_id, kept_for, now).await?
        {
            return Ok(Some(SignInEmail::AddressKept(AddressKeptMail {
                to: request.email,
                moved_to: EmailAddress::mask_stored(&kept.moved_to),
                moved_at: kept.moved_at,
                until: kept.until,
            })));
        }
    }
    let code = CodeHasher::derived(&sign_in.scopes.sign_in_codes, request.id, &request.handle_hash);
    let _turn = sign_in.codes.turn().await;
    let hasher = sign_in.codes.clone();
    let (typed, stored) = (code.clone(), request.code_hash.clone());
    // A retry keeps the stored hash when it is this code's (the usual case). It is not
    // when the secret changed since the first attempt (a rotation, or instances briefly
    // on different secrets): then this code replaces it, and the email carries one that
    // works.
    let rehashed = tokio::task::spawn_blocking(move || match stored {
        Some(phc) if hasher.verify(&typed, &phc) => None,
        _ => Some(hasher.hash(&typed)),
    })
    .await
    .map_err(|e| DbErr::Custom(format!("code hashing panicked: {e}")))?;
    if let Some(hashed) = rehashed {
        let unchanged = match &request.code_hash {
            Some(old) => sign_in_request::Column::CodeHash.eq(old),
            None => sign_in_request::Column::CodeHash.is_null(),
        };
        sign_in_request::Entity::update_many()
            .col_expr(sign_in_request::Column::CodeHash, Expr::value(hashed))
            .filter(sign_in_request::Column::Id.eq(request.id))
            .filter(unchanged)
            .exec(&sign_in.db.write)
            .await?;
    }
    let token = mint_link(sign_in, &request, holder.as_ref(), now);
    Ok(Some(SignInEmail::Link(SignInMail {
        to: request.email,
        link: sign_in.settings.link_url(&token),
        code,
        expires_at: from_unix(request.expires_at),
        valid_for: from_unix(request.expires_at).duration_since(now).unwrap_or_default(),
        requested_at: from_unix(request.created_at),
        user_agent: request.user_agent,
        client_ip: request.client_ip,
    })))
}

/// A sign-in link bound to `request`: to `account` (the address's, if it has one), so that
/// its revocation material covers it, else to the request itself.
fn mint_link(
    sign_in: &SignIn,
    request: &sign_in_request::Model,
    account: Option<&user::Model>,
    now: SystemTime,
) -> String {
    let resource = Some(id_u64(request.id));
    match account {
        Some(user) => sign_in.scopes.login.mint(
            Subject::User(id_u64(user.id)),
            resource,
            &accounts::revocation(user),
            now,
        ),
        None => sign_in.scopes.login.mint(
            Subject::SignInRequest(id_u64(request.id)),
            resource,
            &link_check::pending_revocation(request),
            now,
        ),
    }
}

/// A link generated offline (`latchkey link login`): a request row that sends no mail,
/// and its link, exactly like the emailed one.
pub async fn issue_link(
    sign_in: &SignIn,
    email: &EmailAddress,
    next: Option<&NextPath>,
    now: SystemTime,
) -> Result<String, DbErr> {
    let request = Pending {
        handle_hash: new_handle(now).1,
        email: email.to_string(),
        mailbox: email.mailbox(),
        valid_address: true,
        client_ip: "command line".to_owned(),
        network: "command line".to_owned(),
        user_agent: "latchkey link login".to_owned(),
        next: next.cloned(),
        browser_hash: None,
        binding: sign_in_request::OFFLINE,
        now,
    }
    .row(false, login_max_age(&sign_in.scopes))
    .insert(&sign_in.db.write)
    .await?;
    let account = accounts::holder_of(&sign_in.db.read, &request.email).await?;
    let token = mint_link(sign_in, &request, account.as_ref(), now);
    Ok(sign_in.settings.link_url(&token))
}

/// A genuine, live link as its page may describe it.
#[derive(Debug, PartialEq, Eq)]
pub struct LinkPreview {
    /// The address it signs in, masked.
    pub masked_email: String,
    /// What this browser must give before it does.
    pub ask: Ask,
}

/// A link that does not sign in, and whether its page may offer a new one.
#[derive(Debug, PartialEq, Eq)]
pub struct DeadLink {
    pub rejection: Rejection,
    /// Genuine (its tag verifies), spent or expired, and its account still in good
    /// standing: the page may offer to email a new link (see [`resend_link`]).
    pub resendable: bool,
}

/// Whether a link would sign in in the browser holding `browser`'s cookie, without
/// spending it: for the page of a link opened elsewhere.
pub async fn check_link(
    sign_in: &SignIn,
    token: &str,
    browser: Option<&str>,
    now: SystemTime,
) -> Result<Result<LinkPreview, DeadLink>, DbErr> {
    let checked = sign_in.links.submit(Presented { token: token.to_owned(), now }).await?;
    let checked = checked.and_then(|valid| {
        let ask = proof::ask(&valid.request, browser, sign_in.settings.other_browser);
        // Asking for a code that can no longer be typed would be a page that cannot work.
        if ask == Ask::Code && valid.request.code_attempts >= MAX_CODE_ATTEMPTS {
            return Err(Rejection::AlreadyUsed);
        }
        Ok(LinkPreview { masked_email: EmailAddress::mask_stored(&valid.request.email), ask })
    });
    match checked {
        Ok(preview) => Ok(Ok(preview)),
        Err(rejection) => {
            let resendable = dead_link_request(sign_in, token, now).await?.is_some();
            Ok(Err(DeadLink { rejection, resendable }))
        }
    }
}

/// Why a link did not sign in.
#[derive(Debug, PartialEq, Eq)]
pub enum LinkRefusal {
    /// Not a live link (which case, only the log says).
    Dead(Rejection),
    /// Genuine and live, but this browser must give this first.
    Asks(Ask),
    /// Genuine and live, but the code typed with it is wrong; this many tries remain.
    WrongCode { attempts_left: i32 },
}

/// Spends a link and signs its holder in, if `proof` gives what the link asks of this
/// browser (see `proof`): the request (consumed), the account (created now when the
/// address had none) and the new session (replacing the browser's current one, `replaces`)
/// change in one transaction, shared with what else is being written at that moment (see
/// `writer`), with the sign-in's entry in the account's security activity (from `from`). A
/// code typed with the link counts against its request's tries, and against no failure
/// budget: without the link, it could not be guessed.
pub async fn redeem_link(
    sign_in: &SignIn,
    token: &str,
    proof: Proof<'_>,
    from: activity::Origin,
    replaces: Option<&str>,
    now: SystemTime,
) -> Result<Result<SignedIn, LinkRefusal>, DbErr> {
    let link = match sign_in.links.submit(Presented { token: token.to_owned(), now }).await? {
        Ok(link) => link,
        Err(rejection) => return Ok(Err(LinkRefusal::Dead(rejection))),
    };
    let ask = proof::ask(&link.request, proof.browser, sign_in.settings.other_browser);
    if !ask.met_by(&proof) {
        return Ok(Err(LinkRefusal::Asks(ask)));
    }
    if let (Ask::Code, Some(code)) = (ask, proof.code) {
        match try_code(sign_in, &link.request, code, now).await? {
            Attempt::Right => {}
            Attempt::Wrong { attempts_left } => {
                return Ok(Err(LinkRefusal::WrongCode { attempts_left }));
            }
            Attempt::Dead => return Ok(Err(LinkRefusal::Dead(Rejection::AlreadyUsed))),
        }
    }
    let replaces = replaces.map(str::to_owned);
    let spent = sign_in.writer.spend_link(Spend { link, from, replaces, now }).await?;
    Ok(spent.map_err(LinkRefusal::Dead))
}

/// Emails a new link for a dead one (see [`DeadLink::resendable`]), to the old request's
/// address, within the usual rate limits (from `origin`). The new request is bound to no
/// browser, since the one asking now need not be the one that asked then: its link asks
/// for the code wherever it is opened, so nobody can use this to sign someone else into
/// their own account. Returns whether `token` qualified (the answer shown is the same).
pub async fn resend_link(
    sign_in: &SignIn,
    token: &str,
    origin: &Origin<'_>,
    now: SystemTime,
) -> Result<bool, DbErr> {
    let Some(old) = dead_link_request(sign_in, token, now).await? else {
        tracing::debug!("new link asked for a link that does not qualify");
        return Ok(false);
    };
    let ip = rate_limit_key(origin.client_ip);
    let pending = Pending {
        handle_hash: new_handle(now).1,
        // Stored by a request that parsed it, so it parses.
        mailbox: EmailAddress::parse(&old.email)
            .map_or_else(|_| old.email.clone(), |a| a.mailbox()),
        email: old.email,
        valid_address: true,
        client_ip: ip.clone(),
        network: network::mail_network(origin.client_ip),
        user_agent: truncate(origin.user_agent, MAX_USER_AGENT_LEN),
        next: old.next_path.as_deref().and_then(NextPath::parse),
        browser_hash: None,
        binding: sign_in_request::RESEND,
        now,
    };
    let written = sign_in.writer.sign_in_request(pending).await?;
    tracing::info!(old_request = old.id, new_request = ?written.id, "new sign-in link asked from a dead one");
    log_written(&written, &ip);
    Ok(true)
}

/// The request of a genuine link that was spent or expired, whose account (if any) may
/// still sign in: what a new link may be sent for.
async fn dead_link_request(
    sign_in: &SignIn,
    token: &str,
    now: SystemTime,
) -> Result<Option<sign_in_request::Model>, DbErr> {
    link_check::dead_link_request(&sign_in.db.read, &sign_in.scopes, token, now).await
}

/// The answer to a typed code.
#[derive(Debug, PartialEq, Eq)]
pub enum CodeOutcome {
    SignedIn(SignedIn),
    /// Wrong code; this many tries remain.
    Wrong {
        attempts_left: i32,
    },
    /// No such request, or it expired, was used, or ran out of tries.
    Dead,
    /// A failure budget is spent: codes typed without their link do not work here for now
    /// (the link still does).
    Paused(Spent),
}

/// Checks a code typed, without its link, in the browser holding `handle`, from `from`
/// (whose address the failure budgets count by). The try is counted against the request and
/// every failure budget before the (slow) comparison, so parallel guesses cannot exceed
/// either. A sign-in is recorded in the account's security activity in its transaction.
pub async fn verify_code(
    sign_in: &SignIn,
    handle: &str,
    code: &SignInCode,
    from: activity::Origin,
    replaces: Option<&str>,
    now: SystemTime,
) -> Result<CodeOutcome, DbErr> {
    let Some(request) = sign_in_request::Entity::find()
        .filter(sign_in_request::Column::HandleHash.eq(handle_key(handle)))
        .filter(live(now))
        .one(&sign_in.db.write)
        .await?
    else {
        tracing::debug!("sign-in code for a dead or unknown request");
        return Ok(CodeOutcome::Dead);
    };
    let drawn = match sign_in.budgets.draw(&sign_in.db.write, &request.email, from.ip, now).await? {
        Ok(drawn) => drawn,
        Err(spent) => {
            tracing::info!(
                request = request.id,
                ?spent,
                "sign-in code refused: failure budget spent"
            );
            return Ok(CodeOutcome::Paused(spent));
        }
    };
    match try_code(sign_in, &request, code, now).await? {
        Attempt::Right => budgets::refund(&sign_in.db.write, drawn).await?,
        Attempt::Wrong { attempts_left } => return Ok(CodeOutcome::Wrong { attempts_left }),
        Attempt::Dead => return Ok(CodeOutcome::Dead),
    }
    let txn = sign_in.db.write.begin().await?;
    let existing = accounts::holder_of(&txn, &request.email).await?;
    let request_id = request.id;
    let replaces = replaces.map(str::to_owned);
    let finishing = Finishing { request, user: existing, from, replaces };
    let kept_for = sign_in.scopes.address_kept_for();
    let finished = finish_many(&txn, vec![finishing], kept_for, now).await?;
    let idle = sign_in.settings.session_idle;
    let event = activity::Event::SignedInWithCode;
    let started = signed_in::start_sessions(&txn, finished, &event, now, idle).await?.pop();
    let started = started.ok_or_else(|| DbErr::Custom("a sign-in was left unanswered".into()))?;
    match started {
        Ok(signed_in) => {
            txn.commit().await?;
            Ok(CodeOutcome::SignedIn(signed_in))
        }
        Err(rejection) => {
            tracing::debug!(request = request_id, %rejection, "right code, but the request cannot sign in");
            Ok(CodeOutcome::Dead)
        }
    }
}

/// A request that a code can still finish.
fn live(now: SystemTime) -> sea_orm::Condition {
    let now = unix_secs(now);
    sea_orm::Condition::all()
        .add(sign_in_request::Column::ConsumedAt.is_null())
        .add(sign_in_request::Column::ExpiresAt.gt(now))
        .add(sign_in_request::Column::CodeHash.is_not_null())
        .add(sign_in_request::Column::CodeAttempts.lt(MAX_CODE_ATTEMPTS))
}

enum Attempt {
    Right,
    Wrong { attempts_left: i32 },
    Dead,
}

/// One try of `code` against `request`'s: counted (conditionally, so parallel tries cannot
/// exceed the allowance) before the slow comparison.
async fn try_code(
    sign_in: &SignIn,
    request: &sign_in_request::Model,
    code: &SignInCode,
    now: SystemTime,
) -> Result<Attempt, DbErr> {
    let counted = sign_in_request::Entity::update_many()
        .col_expr(
            sign_in_request::Column::CodeAttempts,
            Expr::col(sign_in_request::Column::CodeAttempts).add(1),
        )
        .filter(sign_in_request::Column::Id.eq(request.id))
        .filter(live(now))
        .exec(&sign_in.db.write)
        .await?;
    if counted.rows_affected != 1 {
        tracing::debug!(request = request.id, "sign-in code for a dead request");
        return Ok(Attempt::Dead);
    }
    let phc = request.code_hash.clone().unwrap_or_default();
    let _turn = sign_in.codes.turn().await;
    let hasher = sign_in.codes.clone();
    let typed = code.clone();
    let matches = tokio::task::spawn_blocking(move || hasher.verify(&typed, &phc))
        .await
        .map_err(|e| DbErr::Custom(format!("code verification panicked: {e}")))?;
    if matches {
        return Ok(Attempt::Right);
    }
    let attempts_left = MAX_CODE_ATTEMPTS - (request.code_attempts + 1);
    tracing::debug!(request = request.id, attempts_left, "wrong sign-in code");
    Ok(if attempts_left > 0 { Attempt::Wrong { attempts_left } } else { Attempt::Dead })
}

/// Deletes requests that no rate window counts and no link or code can use any more.
pub async fn purge(sign_in: &SignIn, now: SystemTime) -> Result<u64, DbErr> {
    let failures = sign_in.budgets.purge(&sign_in.db.write, now).await?;
    let now = unix_secs(now);
    let deleted = sign_in_request::Entity::delete_many()
        .filter(sign_in_request::Column::CreatedAt.lt(now - secs(sign_in.settings.rate_window)))
        // An hour past expiry, so a request's own clock-skewed last minute is never cut.
        .filter(sign_in_request::Column::ExpiresAt.lt(now - 3600))
        .exec(&sign_in.db.write)
        .await?;
    Ok(deleted.rows_affected + failures)
}

/// How long a sign-in link lives: its configured max-age. Settings refuse `none` and
/// anything past [`MAX_LINK_AGE`]; should either arrive anyway, the bound applies.
pub fn login_max_age(scopes: &Scopes) -> std::time::Duration {
    scopes.login.purpose().max_age().map_or(MAX_LINK_AGE, |age| age.min(MAX_LINK_AGE))
}

/// Requests are counted per address, and per /64 for IPv6 (the block one subscriber gets).
fn rate_limit_key(ip: IpAddr) -> String {
    network::block(ip, 32, 64)
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max_chars).collect()
}

fn id_u64(id: i64) -> u64 {
    u64::try_from(id).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_share_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(rate_limit_key(a), rate_limit_key(b));
        assert_eq!(rate_limit_key(a), "2001:db8:1:2::/64");
        assert_eq!(rate_limit_key("::ffff:192.0.2.1".parse().unwrap()), "192.0.2.1");
        assert_eq!(rate_limit_key("192.0.2.1".parse().unwrap()), "192.0.2.1");
    }
}
