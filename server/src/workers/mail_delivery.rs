//! Delivers the outbox: claims due messages, renders and sends several at a time (a
//! setting), and settles each (sent, retried with backoff, or dropped).
//!
//! Why this shape: claims come in fair order (see `outbox::claim_due_fairly`), so a flood
//! waits behind the networks that asked for few; a few sends in flight keep one slow SMTP
//! exchange from holding up the queue, while still bounding the CPU that code hashing can
//! take however many requests arrive; and a site-wide ceiling on sign-in emails per minute,
//! counted in the database across instances, protects the sender's reputation. Because of
//! the fair order the ceiling is no lever to lock others out: a flooding network only delays
//! its own mail.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use app::entities::outbox_message;
use app::mail;
use app::once_a_minute::OnceAMinute;
use app::services::{Services, email_change, outbox, reports, shares, sign_in};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::mailer::{Mailer, SendError};

/// A claim outlives the longest SMTP exchange (20 s) by far; past it, another worker may
/// retry. Each message is claimed when a send slot is free, so a lease never covers a queue.
const LEASE: Duration = Duration::from_secs(120);
/// Other instances' messages, and retries coming due, are found at least this often.
const POLL: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);
/// How long a shutdown waits for the messages being sent: about one SMTP exchange's
/// timeout, and within the usual 30 s between a container's SIGTERM and its SIGKILL.
pub const DRAIN: Duration = Duration::from_secs(20);

/// How this instance delivers.
#[derive(Clone, Copy, Debug)]
pub struct Delivery {
    /// Messages in flight at once (at least 1).
    pub concurrency: usize,
    /// Sign-in emails the whole site sends per minute at most.
    pub sign_in_per_minute: u32,
}

/// Delivers until `stopping` turns true (the server is shutting down), then lets the
/// messages being sent finish, for up to [`DRAIN`]: cut short, an SMTP exchange could
/// deliver a message whose claim then runs out, so that it is sent again.
pub async fn run(
    services: Services,
    mailer: Arc<Mailer>,
    delivery: Delivery,
    mut stopping: watch::Receiver<bool>,
) {
    tracing::info!(
        transport = %mailer.describe(),
        concurrency = delivery.concurrency,
        sign_in_per_minute = delivery.sign_in_per_minute,
        "mail worker started"
    );
    let sign_in_in_flight = Arc::new(AtomicU64::new(0));
    let mut in_flight = JoinSet::new();
    let at_ceiling = OnceAMinute::default();
    while !*stopping.borrow() {
        let free = delivery.concurrency.saturating_sub(in_flight.len());
        let mut claimed = 0;
        if free > 0 {
            match claim(&services, delivery, free, &sign_in_in_flight, &at_ceiling).await {
                Ok(messages) => {
                    claimed = messages.len();
                    for message in messages {
                        let (services, mailer) = (services.clone(), mailer.clone());
                        let slot = SignInSlot::take(&sign_in_in_flight, &message);
                        in_flight.spawn(async move {
                            let _slot = slot;
                            if let Err(error) = deliver(&services, &mailer, &message).await {
                                tracing::warn!(message = message.id, %error, "mail worker: database error settling a message; its claim will run out and it is retried");
                            }
                        });
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "mail worker: database error; retrying shortly");
                }
            }
        }
        let full = in_flight.len() >= delivery.concurrency;
        if claimed > 0 && !full {
            continue;
        }
        tokio::select! {
            Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                if let Err(error) = done {
                    tracing::error!(%error, "mail worker: a delivery panicked; its claim will run out and it is retried");
                }
            }
            // Woken early when a request queues mail (unless every slot is busy).
            () = services.mail_queued.notified(), if !full => {}
            () = tokio::time::sleep(POLL), if !full => {}
            Ok(()) = stopping.changed() => {}
        }
    }
    let sending = in_flight.len();
    let drained =
        tokio::time::timeout(DRAIN, async { while in_flight.join_next().await.is_some() {} });
    if drained.await.is_err() {
        tracing::warn!(
            left = in_flight.len(),
            "mail worker: stopped with messages still being sent; their claims will run out and they are retried"
        );
    }
    tracing::info!(finished = sending, "mail worker stopped");
}

/// Claims up to `free` due messages, within the site-wide ceiling on sign-in emails.
async fn claim(
    services: &Services,
    delivery: Delivery,
    free: usize,
    sign_in_in_flight: &AtomicU64,
    at_ceiling: &OnceAMinute,
) -> Result<Vec<outbox_message::Model>, sea_orm::DbErr> {
    let now = SystemTime::now();
    let db = &services.db.write;
    let sent = outbox::sign_in_sent_since(db, now - MINUTE).await?;
    let used = sent + sign_in_in_flight.load(Ordering::Relaxed);
    let room = u64::from(delivery.sign_in_per_minute).saturating_sub(used);
    // Its count (of polls at the ceiling) would say nothing: the warning carries none.
    if room == 0 && at_ceiling.occurred(now).is_some() {
        tracing::warn!(
            per_minute = delivery.sign_in_per_minute,
            "site-wide ceiling of sign-in emails per minute reached; the rest wait, in fair order"
        );
    }
    let limit = u64::try_from(free).unwrap_or(1);
    let fairness =
        outbox::Fairness { sign_in_room: room, window: Some(services.settings.rate_window) };
    outbox::claim_due_fairly(db, now, LEASE, limit, fairness).await
}

/// A sign-in email in flight, counted against the ceiling until its task ends (even by a
/// panic), since the database counts it only once it is sent.
struct SignInSlot(Option<Arc<AtomicU64>>);

impl SignInSlot {
    fn take(counter: &Arc<AtomicU64>, message: &outbox_message::Model) -> Self {
        if message.kind != outbox_message::SIGN_IN {
            return Self(None);
        }
        counter.fetch_add(1, Ordering::Relaxed);
        Self(Some(counter.clone()))
    }
}

impl Drop for SignInSlot {
    fn drop(&mut self) {
        if let Some(counter) = &self.0 {
            counter.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

async fn deliver(
    services: &Services,
    mailer: &Mailer,
    message: &outbox_message::Model,
) -> Result<(), sea_orm::DbErr> {
    let db = &services.db.write;
    let rendered = match message.kind.as_str() {
        outbox_message::SIGN_IN => {
            match sign_in::prepare_mail(&services.sign_in, message.reference_id, SystemTime::now())
                .await?
            {
                Some(sign_in::SignInEmail::Link(mail)) => {
                    // For development with the file transport: the link, at debug level
                    // only, since it is a credential.
                    tracing::debug!(link = %mail.link, "sign-in link");
                    mail::sign_in::render(&mail)
                }
                Some(sign_in::SignInEmail::AddressKept(mail)) => {
                    tracing::info!(
                        message = message.id,
                        "sign-in asked with an address kept for the account that left it; no link sent"
                    );
                    mail::sign_in::render_address_kept(&mail)
                }
                None => {
                    tracing::info!(
                        message = message.id,
                        "sign-in request used or expired; email dropped"
                    );
                    return outbox::drop_message(db, message.id, "request used or expired").await;
                }
            }
        }
        outbox_message::REPORT_LINK => {
            let prepared = reports::prepare_link_mail(
                &services.reports,
                message.reference_id,
                SystemTime::now(),
            );
            match prepared.await? {
                Some(mail) => {
                    tracing::debug!(link = %mail.link, "report link");
                    mail::report_link::render(&mail)
                }
                None => {
                    tracing::info!(
                        message = message.id,
                        "report link revoked or expired; email dropped"
                    );
                    return outbox::drop_message(db, message.id, "link revoked or expired").await;
                }
            }
        }
        outbox_message::SHARE => {
            let prepared = shares::prepare_share_mail(
                &services.shares,
                message.reference_id,
                SystemTime::now(),
            );
            match prepared.await? {
                Some(mail) => {
                    tracing::debug!(link = %mail.link, "share link");
                    mail::share::render(&mail)
                }
                None => {
                    tracing::info!(message = message.id, "share revoked or expired; email dropped");
                    return outbox::drop_message(db, message.id, "share revoked or expired").await;
                }
            }
        }
        outbox_message::SHARE_CODE => {
            let prepared = shares::prepare_code_mail(
                &services.shares,
                message.reference_id,
                SystemTime::now(),
            );
            match prepared.await? {
                Some(mail) => mail::share_code::render(&mail),
                None => {
                    tracing::info!(message = message.id, "share code expired; email dropped");
                    return outbox::drop_message(db, message.id, "code or share expired").await;
                }
            }
        }
        kind @ (outbox_message::EMAIL_CHANGE
        | outbox_message::EMAIL_CHANGE_NOTICE
        | outbox_message::EMAIL_TAKEN) => {
            let prepared = email_change::prepare_mail(
                &services.email_changes,
                kind,
                message.reference_id,
                SystemTime::now(),
            );
            match prepared.await? {
                Some(mail) => mail::email_change::render(&mail),
                None => {
                    tracing::info!(
                        message = message.id,
                        "email change settled or expired; email dropped"
                    );
                    return outbox::drop_message(db, message.id, "change settled or expired").await;
                }
            }
        }
        other => {
            tracing::error!(message = message.id, kind = other, "unknown kind of message; dropped");
            return outbox::drop_message(db, message.id, "unknown kind").await;
        }
    };
    match mailer.send(&rendered, message.id).await {
        Ok(()) => {
            tracing::info!(message = message.id, attempts = message.attempts, "email sent");
            outbox::mark_sent(db, message.id, SystemTime::now()).await
        }
        Err(SendError::Permanent(error)) => {
            tracing::warn!(message = message.id, %error, "email refused; dropped");
            outbox::drop_message(db, message.id, &error).await
        }
        Err(SendError::Transient(error)) => {
            let next = outbox::retry_later(db, message, &error, SystemTime::now()).await?;
            match next {
                Some(next) => {
                    let wait = next.duration_since(SystemTime::now()).unwrap_or_default();
                    tracing::warn!(message = message.id, attempts = message.attempts, %error, retry_in = ?wait, "email not sent; will retry");
                }
                None => tracing::error!(message = message.id, %error, "email not sent; gave up"),
            }
            Ok(())
        }
    }
}
