//! Signing in by email: the request, the link, the code.
//!
//! A request is a row in `sign_in_requests`. Its email carries a link (a single-use `login`
//! token whose resource is the request) and a 6-digit code; whichever is used first
//! consumes the request, which kills the other. Every failure path is silent towards the
//! person asking (one generic answer) and explicit in the log at debug level.

mod codes;
mod finish;
mod link_check;
mod redeem;
mod requests;
mod signed_in;
mod writer;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, DbErr, EntityTrait as _, QueryFilter as _,
    QuerySelect as _, TransactionTrait as _,
};
use tokens::{Rejection, Subject};
use tokio::sync::Notify;

pub use self::codes::CodeHasher;
use self::finish::{Finishing, finish_many};
use self::link_check::{LinkChecker, Presented};
use self::redeem::Spend;
pub use self::requests::Outcome;
use self::requests::{Pending, SignInRules};
pub use self::signed_in::SignedIn;
use self::writer::Writer;
use crate::domain::{EmailAddress, NextPath, SignInCode};
use crate::entities::{sign_in_request, user};
use crate::services::accounts;
use crate::services::batcher::Placement;
use crate::services::time::{from_unix, secs, unix_secs};
use crate::services::{Db, Scopes, SignInSettings};

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
        let rules = SignInRules { settings: settings.clone(), login_max_age };
        let writer = writer::start(db.write.clone(), rules, mail_queued, placement);
        let links = link_check::start(db.read.clone(), scopes.clone(), placement);
        Self { db, scopes, settings, codes, writer, links }
    }
}

/// Wrong codes allowed per request; the next try finds the request dead.
pub const MAX_CODE_ATTEMPTS: i32 = 5;
/// Code tries allowed per address per rate window, over all its requests: otherwise each
/// new request (up to the per-address mail limit) would bring five more guesses.
pub const MAX_CODE_ATTEMPTS_PER_ADDRESS: i64 = 10;
const MAX_USER_AGENT_LEN: usize = 256;

/// Where a request came from, for rate limits and for the email ("Chrome on Linux, from
/// 203.0.113.7").
#[derive(Clone, Debug)]
pub struct Origin<'a> {
    pub client_ip: IpAddr,
    pub user_agent: &'a str,
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
    let (handle, handle_hash) = new_handle();
    let address = EmailAddress::parse(email).ok();
    let ip = rate_limit_key(origin.client_ip);
    let pending = Pending {
        handle_hash,
        valid_address: address.is_some(),
        email: address.map_or_else(|| truncate(email.trim(), 254), |a| a.to_string()),
        client_ip: ip.clone(),
        user_agent: truncate(origin.user_agent, MAX_USER_AGENT_LEN),
        next: next.and_then(NextPath::parse),
        now,
    };
    let written = sign_in.writer.sign_in_request(pending).await?;
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
    Ok(Requested { handle, outcome: written.outcome })
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

/// Prepares a request's email for the mail worker: a fresh code (hashed here, off the
/// request path) and a link. `None` when the request was consumed or has expired.
pub async fn prepare_mail(
    sign_in: &SignIn,
    request_id: i64,
    now: SystemTime,
) -> Result<Option<SignInMail>, DbErr> {
    let Some(request) =
        sign_in_request::Entity::find_by_id(request_id).one(&sign_in.db.read).await?
    else {
        return Ok(None);
    };
    if request.consumed_at.is_some() || request.expires_at <= unix_secs(now) {
        return Ok(None);
    }
    let code = CodeHasher::generate();
    let _turn = sign_in.codes.turn().await;
    let hasher = sign_in.codes.clone();
    let hashed = {
        let code = code.clone();
        tokio::task::spawn_blocking(move || hasher.hash(&code))
            .await
            .map_err(|e| DbErr::Custom(format!("code hashing panicked: {e}")))?
    };
    sign_in_request::Entity::update_many()
        .col_expr(sign_in_request::Column::CodeHash, Expr::value(hashed))
        .filter(sign_in_request::Column::Id.eq(request.id))
        .exec(&sign_in.db.write)
        .await?;
    let token = mint_link(sign_in, &request, now).await?;
    Ok(Some(SignInMail {
        to: request.email,
        link: sign_in.settings.link_url(&token),
        code,
        expires_at: from_unix(request.expires_at),
        valid_for: from_unix(request.expires_at).duration_since(now).unwrap_or_default(),
        requested_at: from_unix(request.created_at),
        user_agent: request.user_agent,
        client_ip: request.client_ip,
    }))
}

/// A sign-in link bound to `request`: to the account when the address has one (so that
/// account's revocation material covers it), else to the request itself.
async fn mint_link(
    sign_in: &SignIn,
    request: &sign_in_request::Model,
    now: SystemTime,
) -> Result<String, DbErr> {
    let resource = Some(id_u64(request.id));
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(&request.email))
        .one(&sign_in.db.read)
        .await?;
    Ok(match existing {
        Some(user) => sign_in.scopes.login.mint(
            Subject::User(id_u64(user.id)),
            resource,
            &accounts::revocation(&user),
            now,
        ),
        None => sign_in.scopes.login.mint(
            Subject::SignInRequest(id_u64(request.id)),
            resource,
            &link_check::pending_revocation(request),
            now,
        ),
    })
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
        handle_hash: new_handle().1,
        email: email.to_string(),
        valid_address: true,
        client_ip: "command line".to_owned(),
        user_agent: "latchkey link login".to_owned(),
        next: next.cloned(),
        now,
    }
    .row(false, login_max_age(&sign_in.scopes))
    .insert(&sign_in.db.write)
    .await?;
    let token = mint_link(sign_in, &request, now).await?;
    Ok(sign_in.settings.link_url(&token))
}

/// Whether a link would sign in, without spending it: for the "Continue as …" page that
/// GET shows. Returns the masked address, or why not.
pub async fn check_link(
    sign_in: &SignIn,
    token: &str,
    now: SystemTime,
) -> Result<Result<String, Rejection>, DbErr> {
    let checked = sign_in.links.submit(Presented { token: token.to_owned(), now }).await?;
    Ok(checked.map(|valid| EmailAddress::mask_stored(&valid.request.email)))
}

/// Spends a link and signs its holder in: the token's nonce, the request, the account
/// (created now when the address had none) and the new session (replacing the browser's
/// current one, `replaces`) change in one transaction, shared with what else is being
/// written at that moment (see `writer`).
pub async fn redeem_link(
    sign_in: &SignIn,
    token: &str,
    replaces: Option<&str>,
    now: SystemTime,
) -> Result<Result<SignedIn, Rejection>, DbErr> {
    let link = match sign_in.links.submit(Presented { token: token.to_owned(), now }).await? {
        Ok(link) => link,
        Err(rejection) => return Ok(Err(rejection)),
    };
    let replaces = replaces.map(str::to_owned);
    sign_in.writer.spend_link(Spend { link, replaces, now }).await
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
}

/// Checks a code typed in the browser holding `handle`. Each try is counted before the
/// (slow) comparison, so parallel guesses cannot exceed the allowance.
pub async fn verify_code(
    sign_in: &SignIn,
    handle: &str,
    code: &SignInCode,
    replaces: Option<&str>,
    now: SystemTime,
) -> Result<CodeOutcome, DbErr> {
    let handle_hash = hash_handle(handle);
    let now_secs = unix_secs(now);
    let live = || {
        sign_in_request::Column::ConsumedAt
            .is_null()
            .and(sign_in_request::Column::ExpiresAt.gt(now_secs))
            .and(sign_in_request::Column::CodeHash.is_not_null())
            .and(sign_in_request::Column::CodeAttempts.lt(MAX_CODE_ATTEMPTS))
    };
    let counted = sign_in_request::Entity::update_many()
        .col_expr(
            sign_in_request::Column::CodeAttempts,
            Expr::col(sign_in_request::Column::CodeAttempts).add(1),
        )
        .filter(sign_in_request::Column::HandleHash.eq(&handle_hash))
        .filter(live())
        .exec(&sign_in.db.write)
        .await?;
    if counted.rows_affected != 1 {
        tracing::debug!("sign-in code for a dead or unknown request");
        return Ok(CodeOutcome::Dead);
    }
    let Some(request) = sign_in_request::Entity::find()
        .filter(sign_in_request::Column::HandleHash.eq(&handle_hash))
        .one(&sign_in.db.write)
        .await?
    else {
        return Ok(CodeOutcome::Dead);
    };
    let since = now_secs - secs(sign_in.settings.rate_window);
    let tries_for_address = sign_in_request::Entity::find()
        .select_only()
        .column_as(Expr::col(sign_in_request::Column::CodeAttempts).sum(), "tries")
        .filter(sign_in_request::Column::Email.eq(&request.email))
        .filter(sign_in_request::Column::CreatedAt.gt(since))
        .into_tuple::<Option<i64>>()
        .one(&sign_in.db.write)
        .await?
        .flatten()
        .unwrap_or_default();
    if tries_for_address > MAX_CODE_ATTEMPTS_PER_ADDRESS {
        tracing::info!(
            request = request.id,
            "too many sign-in code tries for this address; refused"
        );
        return Ok(CodeOutcome::Dead);
    }
    let phc = request.code_hash.clone().unwrap_or_default();
    let _turn = sign_in.codes.turn().await;
    let hasher = sign_in.codes.clone();
    let typed = code.clone();
    let matches = tokio::task::spawn_blocking(move || hasher.verify(&typed, &phc))
        .await
        .map_err(|e| DbErr::Custom(format!("code verification panicked: {e}")))?;
    if !matches {
        let attempts_left = MAX_CODE_ATTEMPTS - request.code_attempts;
        tracing::debug!(request = request.id, attempts_left, "wrong sign-in code");
        return Ok(if attempts_left > 0 {
            CodeOutcome::Wrong { attempts_left }
        } else {
            CodeOutcome::Dead
        });
    }
    let txn = sign_in.db.write.begin().await?;
    let existing =
        user::Entity::find().filter(user::Column::Email.eq(&request.email)).one(&txn).await?;
    let request_id = request.id;
    let replaces = replaces.map(str::to_owned);
    let finishing = Finishing { request, user: existing, replaces };
    let finished = finish_many(&txn, vec![finishing], now).await?;
    let idle = sign_in.settings.session_idle;
    let started = signed_in::start_sessions(&txn, finished, now, idle).await?.pop();
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

/// Deletes requests that no rate window counts and no link or code can use any more.
pub async fn purge(sign_in: &SignIn, now: SystemTime) -> Result<u64, DbErr> {
    let now = unix_secs(now);
    let deleted = sign_in_request::Entity::delete_many()
        .filter(sign_in_request::Column::CreatedAt.lt(now - secs(sign_in.settings.rate_window)))
        // An hour past expiry, so a request's own clock-skewed last minute is never cut.
        .filter(sign_in_request::Column::ExpiresAt.lt(now - 3600))
        .exec(&sign_in.db.write)
        .await?;
    Ok(deleted.rows_affected)
}

fn login_max_age(scopes: &Scopes) -> std::time::Duration {
    scopes.login.purpose().max_age().expect("single-use purposes always have a max-age")
}

/// 128 random bits for the browser, and the digest the database keeps.
fn new_handle() -> (String, String) {
    let mut bytes = [0; 16];
    getrandom::fill(&mut bytes).expect("the OS random number generator failed");
    let handle = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_handle(&handle);
    (handle, hash)
}

fn hash_handle(handle: &str) -> String {
    crate::services::digest::sha256_hex(handle)
}

/// IPv6 clients are limited per /64, the block a single subscriber usually gets.
fn rate_limit_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                format!("{}/64", std::net::Ipv6Addr::from(segments))
            }
        },
    }
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

    #[test]
    fn handles_are_random_and_hashed() {
        let (a, hash_a) = new_handle();
        let (b, _) = new_handle();
        assert_ne!(a, b);
        assert_eq!(a.len(), 22);
        assert_eq!(hash_a, hash_handle(&a));
        assert_eq!(hash_a.len(), 64);
    }
}
