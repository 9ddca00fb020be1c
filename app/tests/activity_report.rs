//! The generated account-activity report and the job queue behind it, on SQLite and (when
//! configured) PostgreSQL: built once, in the background, across restarts and instances.

#[macro_use]
mod support;

use std::time::{Duration, SystemTime};

use app::entities::{job, outbox_message, report};
use app::services::activity::{self, Event, Origin};
use app::services::activity_report::{self, JobState, Requested};
use app::services::reports::{self, Draft};
use app::services::{Services, jobs};
use migrations::test_database::TestDatabase;
use sea_orm::{ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _};
use support::{account, services};

async fn body(s: &Services, id: i64) -> String {
    report::Entity::find_by_id(id).one(&s.db.read).await.unwrap().unwrap().body_html
}

async fn report_emails(s: &Services) -> u64 {
    outbox_message::Entity::find()
        .filter(outbox_message::Column::Kind.eq(outbox_message::REPORT_LINK))
        .count(&s.db.read)
        .await
        .unwrap()
}

/// Where the test's requests come from.
fn here() -> Origin {
    Origin::new([192, 0, 2, 7].into(), "test")
}

fn queued(requested: Requested) -> i64 {
    let Requested::Queued { report_id } = requested else { panic!("{requested:?}") };
    report_id
}

/// Asking creates the report at once; the job fills it in and emails the owner a link.
async fn the_job_builds_the_report_and_emails_it(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let origin = here();
    for event in [Event::SignedInWithLink, Event::SignedInWithCode, Event::ShareRevoked] {
        activity::record(&s.db, alice.id, &event, &origin, now).await;
    }
    let ar = &s.activity_reports;
    let id = queued(activity_report::request(ar, &alice, &here(), now).await.unwrap());
    assert_eq!(activity_report::state(ar, id).await.unwrap(), Some(JobState::Queued));
    assert!(body(&s, id).await.contains("being built"));
    // One at a time: asking again while it is queued opens the same report.
    let again = activity_report::request(ar, &alice, &here(), now).await.unwrap();
    assert_eq!(again, Requested::Busy { report_id: id });

    assert!(activity_report::run_due(ar, now).await.unwrap());
    assert!(!activity_report::run_due(ar, now).await.unwrap(), "nothing left to run");
    assert_eq!(activity_report::state(ar, id).await.unwrap(), Some(JobState::Ready));
    let html = body(&s, id).await;
    assert!(html.contains("<svg role=\"img\""), "{html}");
    // The three above; asking for the report is not counted.
    assert!(html.contains("3 events"), "{html}");
    assert!(html.contains("<caption>Security events per day (UTC)</caption>"));
    assert_eq!(report_emails(&s).await, 1);

    // A report people wrote has no job; a generated one cannot be edited, and deleting it
    // takes its job along.
    let draft = Draft::parse("W", "x").unwrap();
    let written = reports::create(&s.reports, alice.id, &draft, now).await.unwrap();
    assert_eq!(activity_report::state(ar, written.id).await.unwrap(), None);
    let draft = Draft::parse("Mine now", "text").unwrap();
    assert!(reports::update(&s.reports, alice.id, id, &draft, now).await.unwrap().is_none());
    assert!(reports::delete(&s.reports, alice.id, id).await.unwrap());
    assert_eq!(job::Entity::find().count(&s.db.read).await.unwrap(), 0);
}

/// Two workers racing for a job: one claims it. A worker that overran its lease loses the
/// job to the next claim, and its result is not written.
async fn a_job_runs_once_across_workers(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let id =
        queued(activity_report::request(&s.activity_reports, &alice, &here(), now).await.unwrap());
    let lease = Duration::from_secs(60);
    let db = &s.db.write;
    let (a, b) = tokio::join!(jobs::claim_due(db, now, lease), jobs::claim_due(db, now, lease));
    let claims = [a.unwrap(), b.unwrap()];
    assert_eq!(claims.iter().flatten().count(), 1, "exactly one worker claims it");
    let first = claims.into_iter().flatten().next().unwrap();
    assert!(jobs::claim_due(db, now + Duration::from_secs(30), lease).await.unwrap().is_none());

    // The first worker stalls (or its instance restarts); after the lease, the job runs again.
    let later = now + Duration::from_secs(61);
    let second = jobs::claim_due(db, later, lease).await.unwrap().expect("taken over");
    assert_eq!(second.attempts, 2);
    assert!(!jobs::finish(db, &first, later).await.unwrap(), "the stale claim writes nothing");
    assert!(jobs::finish(db, &second, later).await.unwrap());
    assert_eq!(
        activity_report::state(&s.activity_reports, id).await.unwrap(),
        Some(JobState::Ready)
    );
}

/// A job whose run keeps failing is retried with a backoff, then marked failed.
async fn a_failing_job_is_retried_then_given_up(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let draft = Draft::parse("R", "").unwrap();
    let id = reports::create(&s.reports, alice.id, &draft, now).await.unwrap().id;
    jobs::enqueue(&s.db.write, "no_such_kind", alice.id, id, now).await.unwrap();
    let ar = &s.activity_reports;
    let mut at = now;
    for _ in 0..jobs::MAX_ATTEMPTS {
        assert!(activity_report::run_due(ar, at).await.unwrap());
        // Not again before its backoff.
        assert!(!activity_report::run_due(ar, at).await.unwrap());
        at += Duration::from_secs(120);
    }
    assert_eq!(activity_report::state(ar, id).await.unwrap(), Some(JobState::Failed));
    assert!(!activity_report::run_due(ar, at + Duration::from_secs(3600)).await.unwrap());
}

/// Reports per day are limited, and deleting one does not give its place back.
async fn reports_per_day_are_limited(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let ar = &s.activity_reports;
    let mut ids = Vec::new();
    for _ in 0..activity_report::PER_DAY {
        ids.push(queued(activity_report::request(ar, &alice, &here(), now).await.unwrap()));
        assert!(activity_report::run_due(ar, now).await.unwrap());
    }
    assert_eq!(
        activity_report::request(ar, &alice, &here(), now).await.unwrap(),
        Requested::OverLimit
    );
    for id in ids {
        assert!(reports::delete(&s.reports, alice.id, id).await.unwrap());
    }
    assert_eq!(
        activity_report::request(ar, &alice, &here(), now).await.unwrap(),
        Requested::OverLimit,
        "deleted reports still count"
    );
    let tomorrow = now + Duration::from_secs(86_401);
    queued(activity_report::request(ar, &alice, &here(), tomorrow).await.unwrap());
}

on_both_databases!(
    the_job_builds_the_report_and_emails_it,
    a_job_runs_once_across_workers,
    a_failing_job_is_retried_then_given_up,
    reports_per_day_are_limited,
);
