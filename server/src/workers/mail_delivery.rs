//! Delivers the outbox: claims due messages, renders and sends them one at a time, and
//! settles each (sent, retried with backoff, or dropped). One message at a time also bounds
//! the CPU that code hashing can take, however many requests arrive.

use std::time::{Duration, SystemTime};

use app::entities::outbox_message;
use app::mail;
use app::services::{Services, email_change, outbox, reports, shares, sign_in};

use crate::mailer::{Mailer, SendError};

/// A claim outlives the longest SMTP exchange (20 s) by far; past it, another worker may
/// retry. Claims are one message at a time, so a lease never covers a queue of sends.
const LEASE: Duration = Duration::from_secs(120);
/// Other instances' messages, and retries coming due, are found at least this often.
const POLL: Duration = Duration::from_secs(1);
const BATCH: u64 = 1;

pub async fn run(services: Services, mailer: std::sync::Arc<Mailer>) {
    tracing::info!(transport = %mailer.describe(), "mail worker started");
    loop {
        let delivered = match deliver_due(&services, &mailer).await {
            Ok(count) => count,
            Err(error) => {
                tracing::warn!(%error, "mail worker: database error; retrying shortly");
                0
            }
        };
        if delivered == 0 {
            // Woken early when a request queues mail.
            let _ = tokio::time::timeout(POLL, services.mail_queued.notified()).await;
        }
    }
}

/// One pass: claims a message and settles it. Returns how many it claimed.
pub async fn deliver_due(services: &Services, mailer: &Mailer) -> Result<usize, sea_orm::DbErr> {
    let claimed = outbox::claim_due(&services.db.write, SystemTime::now(), LEASE, BATCH).await?;
    for message in &claimed {
        deliver(services, mailer, message).await?;
    }
    Ok(claimed.len())
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
                Some(mail) => {
                    // For development with the file transport: the link, at debug level
                    // only, since it is a credential.
                    tracing::debug!(link = %mail.link, "sign-in link");
                    mail::sign_in::render(&mail)
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
