//! An account's security activity: what happened to its access (sign-ins, links issued and
//! revoked, shares made and stopped, signing out everywhere), when, and from where, for its
//! owner to review, newest first.
//!
//! A sign-in (by emailed link, code or personal link) is recorded in the transaction that
//! signs in ([`record_all`]): it is the hot path, and a write of its own per sign-in would
//! queue for SQLite's one writer behind the batch that signed it in. Asking for an activity
//! report is too, since its daily limit counts these entries. Everything else is recorded
//! after the action, by the server function that did it, and best effort ([`record`]): the
//! action has happened either way, so a failed write is logged, never turned into an error
//! for the user. Entries older than [`KEEP`] are purged.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _,
    PaginatorTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _, Set,
};

use crate::entities::security_event;
use crate::services::Db;
use crate::services::time::{from_unix, secs, unix_secs};

/// How long entries are kept.
pub const KEEP: Duration = Duration::from_secs(90 * 86_400);

/// Something that happened to an account's access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    SignedInWithLink,
    SignedInWithCode,
    SignedInWithPersonalLink,
    SignedOutEverywhere,
    PersonalLinkCreated {
        name: String,
    },
    PersonalLinkRevoked,
    ReportLinkEmailed {
        report: String,
    },
    ReportLinkRevoked,
    SessionEnded,
    Shared {
        report: String,
        with: Option<String>,
    },
    ShareRevoked,
    /// Asked to change the address to `to` (confirmation not yet given).
    EmailChangeAsked {
        to: String,
    },
    EmailChanged {
        to: String,
    },
    /// "This wasn't me" on a change to `to`.
    EmailChangeUndone {
        to: String,
    },
    /// Asked for an account activity report. Also what its daily limit counts: unlike the
    /// report and its job, the entry stays when the report is deleted.
    ActivityReportAsked,
}

impl Event {
    fn parts(&self) -> (&'static str, Option<String>) {
        match self {
            Self::SignedInWithLink => ("signed_in_link", None),
            Self::SignedInWithCode => ("signed_in_code", None),
            Self::SignedInWithPersonalLink => ("signed_in_personal_link", None),
            Self::SignedOutEverywhere => ("signed_out_everywhere", None),
            Self::PersonalLinkCreated { name } => ("personal_link_created", Some(name.clone())),
            Self::PersonalLinkRevoked => ("personal_link_revoked", None),
            Self::ReportLinkEmailed { report } => ("report_link_emailed", Some(report.clone())),
            Self::ReportLinkRevoked => ("report_link_revoked", None),
            Self::SessionEnded => ("session_ended", None),
            Self::Shared { report, with } => (
                "shared",
                Some(match with {
                    Some(guest) => format!("“{report}” with {guest}"),
                    None => format!("“{report}” as a link to copy"),
                }),
            ),
            Self::ShareRevoked => ("share_revoked", None),
            Self::EmailChangeAsked { to } => ("email_change_asked", Some(to.clone())),
            Self::EmailChanged { to } => ("email_changed", Some(to.clone())),
            Self::EmailChangeUndone { to } => ("email_change_undone", Some(to.clone())),
            Self::ActivityReportAsked => (ACTIVITY_REPORT_ASKED, None),
        }
    }
}

/// The stored kind of [`Event::ActivityReportAsked`].
pub(crate) const ACTIVITY_REPORT_ASKED: &str = "activity_report_asked";

/// Where the request that did it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub ip: IpAddr,
    pub user_agent: String,
}

/// What is kept of a User-Agent.
const MAX_USER_AGENT: usize = 300;

impl Origin {
    /// Keeps only what is stored of `user_agent`: an origin may wait in the writer's queue.
    pub fn new(ip: IpAddr, user_agent: &str) -> Self {
        Self { ip, user_agent: user_agent.chars().take(MAX_USER_AGENT).collect() }
    }
}

/// Records `event` for the account. Best effort (see the module docs).
pub async fn record(db: &Db, user_id: i64, event: &Event, origin: &Origin, now: SystemTime) {
    let written = row(user_id, event, origin, now).insert(&db.write).await;
    if let Err(error) = written {
        let kind = event.parts().0;
        tracing::warn!(%error, user = user_id, kind, "could not record security activity");
    }
}

/// Records each `(account, event, origin)` in the caller's transaction, in one statement.
pub async fn record_all<'a>(
    db: &impl ConnectionTrait,
    entries: impl IntoIterator<Item = (i64, &'a Event, &'a Origin)>,
    now: SystemTime,
) -> Result<(), DbErr> {
    let rows: Vec<_> = entries
        .into_iter()
        .map(|(user_id, event, origin)| row(user_id, event, origin, now))
        .collect();
    if !rows.is_empty() {
        security_event::Entity::insert_many(rows).exec_without_returning(db).await?;
    }
    Ok(())
}

/// How many `kind` entries the account has since `since`, in `db` (a limit's transaction).
pub(crate) async fn count_since(
    db: &impl ConnectionTrait,
    user_id: i64,
    kind: &str,
    since: SystemTime,
) -> Result<u64, DbErr> {
    security_event::Entity::find()
        .filter(security_event::Column::UserId.eq(user_id))
        .filter(security_event::Column::Kind.eq(kind))
        .filter(security_event::Column::CreatedAt.gt(unix_secs(since)))
        .count(db)
        .await
}

fn row(
    user_id: i64,
    event: &Event,
    origin: &Origin,
    now: SystemTime,
) -> security_event::ActiveModel {
    let (kind, detail) = event.parts();
    security_event::ActiveModel {
        user_id: Set(user_id),
        kind: Set(kind.to_owned()),
        detail: Set(detail.map(|d| d.chars().take(400).collect())),
        ip: Set(Some(origin.ip.to_string())),
        user_agent: Set(Some(origin.user_agent.chars().take(MAX_USER_AGENT).collect())),
        created_at: Set(unix_secs(now)),
        ..Default::default()
    }
}

/// One entry, as the owner reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub at: SystemTime,
    /// "Signed in with an emailed link", "Shared “Q3” with bob@example.com", …
    pub what: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The account's latest `limit` entries, newest first.
pub async fn recent(db: &Db, user_id: i64, limit: u64) -> Result<Vec<Entry>, DbErr> {
    let rows = security_event::Entity::find()
        .filter(security_event::Column::UserId.eq(user_id))
        .order_by_desc(security_event::Column::CreatedAt)
        .order_by_desc(security_event::Column::Id)
        .limit(limit)
        .all(&db.read)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| Entry {
            at: from_unix(row.created_at),
            what: describe(&row.kind, row.detail.as_deref()),
            ip: row.ip,
            user_agent: row.user_agent,
        })
        .collect())
}

fn describe(kind: &str, detail: Option<&str>) -> String {
    let detail = detail.unwrap_or_default();
    match kind {
        "signed_in_link" => "Signed in with an emailed link".to_owned(),
        "signed_in_code" => "Signed in with an emailed code".to_owned(),
        "signed_in_personal_link" => "Signed in with a personal link".to_owned(),
        "signed_out_everywhere" => "Signed out everywhere".to_owned(),
        "personal_link_created" => format!("Created the personal link “{detail}”"),
        "personal_link_revoked" => "Revoked a personal link".to_owned(),
        "report_link_emailed" => format!("Emailed yourself a link to “{detail}”"),
        "report_link_revoked" => "Revoked a report link".to_owned(),
        "session_ended" => "Signed out another browser".to_owned(),
        "shared" => format!("Shared {detail}"),
        "share_revoked" => "Stopped a share".to_owned(),
        "email_change_asked" => format!("Asked to change the email address to {detail}"),
        "email_changed" => format!("Changed the email address to {detail}"),
        "email_change_undone" => {
            format!("Undid the change of address to {detail} (“this wasn't me”)")
        }
        ACTIVITY_REPORT_ASKED => "Asked for an account activity report".to_owned(),
        other => format!("{other} {detail}").trim().to_owned(),
    }
}

/// Deletes entries older than [`KEEP`].
pub async fn purge(db: &Db, now: SystemTime) -> Result<u64, DbErr> {
    let before = unix_secs(now).saturating_sub(secs(KEEP));
    let deleted = security_event::Entity::delete_many()
        .filter(security_event::Column::CreatedAt.lt(before))
        .exec(&db.write)
        .await?;
    Ok(deleted.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_reads_as_a_sentence() {
        let events = [
            Event::SignedInWithLink,
            Event::SignedInWithCode,
            Event::SignedInWithPersonalLink,
            Event::SignedOutEverywhere,
            Event::PersonalLinkCreated { name: "Kitchen tablet".into() },
            Event::PersonalLinkRevoked,
            Event::ReportLinkEmailed { report: "Q3".into() },
            Event::ReportLinkRevoked,
            Event::SessionEnded,
            Event::Shared { report: "Q3".into(), with: Some("bob@example.com".into()) },
            Event::Shared { report: "Q3".into(), with: None },
            Event::ShareRevoked,
            Event::ActivityReportAsked,
        ];
        for event in events {
            let (kind, detail) = event.parts();
            let text = describe(kind, detail.as_deref());
            assert!(text.starts_with(char::is_uppercase) && !text.contains(kind), "{text}");
        }
        assert_eq!(
            describe("shared", Some("“Q3” with bob@example.com")),
            "Shared “Q3” with bob@example.com"
        );
    }
}
