//! Reports and their links, at the service level, on SQLite and (when configured)
//! PostgreSQL. Time is passed in, so expiry is tested without sleeping.

#[macro_use]
mod support;

use std::time::{Duration, SystemTime};

use app::entities::{outbox_message, report_link, user};
use app::services::reports::{self, Draft, LinkEmail, Visit};
use app::services::{Purposes, Services, accounts, outbox, security};
use migrations::test_database::TestDatabase;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
use support::{account, change_email, services, services_with, tamper_tag};
use tokens::{Rejection, purpose};

fn draft(title: &str, body: &str) -> Draft {
    Draft::parse(title, body).unwrap()
}

/// Asks for a link to `report_id` and returns its token, as the email would carry it.
async fn emailed_token(
    s: &Services,
    owner: &user::Model,
    report_id: i64,
    now: SystemTime,
) -> String {
    assert_eq!(
        reports::email_link(&s.reports, owner, report_id, now).await.unwrap(),
        LinkEmail::Queued
    );
    let message = outbox_message::Entity::find()
        .filter(outbox_message::Column::Kind.eq(outbox_message::REPORT_LINK))
        .all(&s.db.read)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(message.recipient, owner.email);
    let mail =
        reports::prepare_link_mail(&s.reports, message.reference_id, now).await.unwrap().unwrap();
    let prefix = format!("https://latchkey.test/reports/{report_id}/view?token=");
    mail.link.strip_prefix(&prefix).expect(&mail.link).to_owned()
}

async fn open(
    s: &Services,
    report_id: i64,
    token: &str,
    now: SystemTime,
) -> Result<String, Rejection> {
    reports::open_link(&s.reports, report_id, token, Visit::Person, now)
        .await
        .unwrap()
        .map(|view| view.title)
}

/// Create, list, edit, delete; nobody else's reports are reachable.
async fn owners_manage_their_own_reports(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let mallory = account(&s, "mallory@example.com").await;

    let report =
        reports::create(&s.reports, alice.id, &draft("Q3", "# Sales\n<script>x()</script>"), now)
            .await
            .unwrap();
    assert!(report.body_html.contains("<h1>Sales</h1>"), "{}", report.body_html);
    assert!(!report.body_html.contains("<script"), "{}", report.body_html);
    let later = now + Duration::from_secs(5);
    let second = reports::create(&s.reports, alice.id, &draft("Q4", "soon"), later).await.unwrap();
    let titles: Vec<_> =
        reports::list(&s.reports, alice.id).await.unwrap().into_iter().map(|r| r.title).collect();
    assert_eq!(titles, ["Q4", "Q3"]);
    assert!(reports::list(&s.reports, mallory.id).await.unwrap().is_empty());

    let edited = draft("Q3 final", "*done*");
    assert_eq!(
        reports::update(&s.reports, mallory.id, report.id, &edited, later).await.unwrap(),
        None
    );
    assert!(reports::get(&s.reports, mallory.id, report.id).await.unwrap().is_none());
    let updated =
        reports::update(&s.reports, alice.id, report.id, &edited, later).await.unwrap().unwrap();
    assert_eq!(updated.body_html, "<p><em>done</em></p>\n");

    assert!(!reports::delete(&s.reports, mallory.id, report.id).await.unwrap());
    assert!(reports::delete(&s.reports, alice.id, report.id).await.unwrap());
    assert!(reports::get(&s.reports, alice.id, report.id).await.unwrap().is_none());
    assert!(reports::get(&s.reports, alice.id, second.id).await.unwrap().is_some());
}

/// A link opens its report, reusably, counting opens; HEAD and prefetch are not counted.
async fn a_link_opens_its_report_and_counts_people(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let report = reports::create(&s.reports, alice.id, &draft("Q3", "numbers"), now).await.unwrap();
    let token = emailed_token(&s, &alice, report.id, now).await;

    for _ in 0..3 {
        assert_eq!(open(&s, report.id, &token, now).await, Ok("Q3".to_owned()));
    }
    let view = reports::open_link(&s.reports, report.id, &token, Visit::NotCounted, now);
    assert!(view.await.unwrap().is_ok());
    reports::flush_opens(&s.reports).await.unwrap();
    let links = reports::links_of(&s.reports, alice.id, report.id, now).await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].opens, 3);
    assert!(links[0].last_opened_at.is_some());
    assert_eq!(links[0].expires_at, Some(links[0].created_at + Duration::from_secs(3 * 86400)));
}

/// For each way a report link must fail: another resource, another account, tampered,
/// expired, revoked, its report deleted, sign-out-everywhere and an email change.
async fn report_links_die_as_they_should(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let bob = account(&s, "bob@example.com").await;
    let a = reports::create(&s.reports, alice.id, &draft("A", ""), now).await.unwrap();
    let b = reports::create(&s.reports, alice.id, &draft("B", ""), now).await.unwrap();
    let bobs = reports::create(&s.reports, bob.id, &draft("Bob's", ""), now).await.unwrap();
    let token = emailed_token(&s, &alice, a.id, now).await;

    // Report A's link, presented for B, or for another account's report.
    assert_eq!(open(&s, b.id, &token, now).await, Err(Rejection::WrongResource));
    assert_eq!(open(&s, bobs.id, &token, now).await, Err(Rejection::WrongResource));
    // Bob's own link opens only Bob's report.
    let bobs_token = emailed_token(&s, &bob, bobs.id, now).await;
    assert_eq!(open(&s, a.id, &bobs_token, now).await, Err(Rejection::WrongResource));
    assert!(open(&s, bobs.id, &bobs_token, now).await.is_ok());

    // Tampered, or a sign-in token: refused before anything is looked up.
    let tampered = tamper_tag(&token);
    assert_eq!(open(&s, a.id, &tampered, now).await, Err(Rejection::BadSignature));
    assert_eq!(open(&s, a.id, "", now).await, Err(Rejection::Malformed));
    assert_eq!(open(&s, a.id, &"A".repeat(5000), now).await, Err(Rejection::Malformed));

    // Expired after the purpose's max-age (3 days).
    let expiry = now + Duration::from_secs(3 * 86400);
    assert!(open(&s, a.id, &token, expiry - Duration::from_secs(1)).await.is_ok());
    assert_eq!(open(&s, a.id, &token, expiry).await, Err(Rejection::Expired));

    // Revoked: that link only.
    let second = emailed_token(&s, &alice, a.id, now).await;
    let link_id = report_link::Entity::find()
        .filter(report_link::Column::ReportId.eq(a.id))
        .all(&s.db.read)
        .await
        .unwrap()[0]
        .id;
    assert!(!reports::revoke_link(&s.reports, bob.id, link_id).await.unwrap());
    assert!(reports::revoke_link(&s.reports, alice.id, link_id).await.unwrap());
    assert_eq!(open(&s, a.id, &token, now).await, Err(Rejection::WrongResource));
    assert!(open(&s, a.id, &second, now).await.is_ok());

    // Sign out everywhere (the epoch) kills every link of the account.
    accounts::bump_epoch(&s.db.write, alice.id).await.unwrap();
    assert_eq!(open(&s, a.id, &second, now).await, Err(Rejection::BadSignature));
    // So does an email change.
    let fresh = emailed_token(
        &s,
        &user::Entity::find_by_id(alice.id).one(&s.db.read).await.unwrap().unwrap(),
        a.id,
        now,
    )
    .await;
    assert!(open(&s, a.id, &fresh, now).await.is_ok());
    // Its row is deleted with the change, as by signing out everywhere.
    change_email(&s, alice.id, "alice@new.example").await;
    assert_eq!(open(&s, a.id, &fresh, now).await, Err(Rejection::WrongResource));

    // Deleting a report kills its links.
    assert!(open(&s, bobs.id, &bobs_token, now).await.is_ok());
    assert!(reports::delete(&s.reports, bob.id, bobs.id).await.unwrap());
    assert_eq!(open(&s, bobs.id, &bobs_token, now).await, Err(Rejection::WrongResource));

    // A deactivated owner's links open nothing.
    let carol = account(&s, "carol@example.com").await;
    let c = reports::create(&s.reports, carol.id, &draft("C", ""), now).await.unwrap();
    let carols = emailed_token(&s, &carol, c.id, now).await;
    user::Entity::update_many()
        .col_expr(user::Column::Status, Expr::value(user::DEACTIVATED))
        .filter(user::Column::Id.eq(carol.id))
        .exec(&s.db.write)
        .await
        .unwrap();
    assert_eq!(open(&s, c.id, &carols, now).await, Err(Rejection::InactiveSubject));
}

/// The configured max-age reaches report links; an email that waited past it is dropped.
async fn the_configured_max_age_applies(database: TestDatabase) {
    let hour = Duration::from_secs(3600);
    let purposes = Purposes {
        report: purpose::REPORT.with_max_age(Some(hour)).unwrap(),
        ..Purposes::default()
    };
    let s = services_with(&database, &purposes);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let report = reports::create(&s.reports, alice.id, &draft("Q3", ""), now).await.unwrap();
    let token = emailed_token(&s, &alice, report.id, now).await;
    assert!(open(&s, report.id, &token, now + hour - Duration::from_secs(1)).await.is_ok());
    assert_eq!(open(&s, report.id, &token, now + hour).await, Err(Rejection::Expired));

    assert_eq!(
        reports::email_link(&s.reports, &alice, report.id, now).await.unwrap(),
        LinkEmail::Queued
    );
    let claimed = outbox::claim_due(&s.db.write, now, Duration::from_secs(60), 10).await.unwrap();
    let last = claimed.iter().map(|m| m.reference_id).max().unwrap();
    assert!(reports::prepare_link_mail(&s.reports, last, now + hour).await.unwrap().is_none());
    assert!(
        reports::links_of(&s.reports, alice.id, report.id, now + hour).await.unwrap().is_empty()
    );
}

/// Link emails are capped per owner per hour, and only for the owner's own reports.
async fn link_emails_are_limited(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let mallory = account(&s, "mallory@example.com").await;
    let report = reports::create(&s.reports, alice.id, &draft("Q3", ""), now).await.unwrap();
    assert_eq!(
        reports::email_link(&s.reports, &mallory, report.id, now).await.unwrap(),
        LinkEmail::NotFound
    );
    for _ in 0..reports::LINK_EMAILS_PER_HOUR {
        assert_eq!(
            reports::email_link(&s.reports, &alice, report.id, now).await.unwrap(),
            LinkEmail::Queued
        );
    }
    assert_eq!(
        reports::email_link(&s.reports, &alice, report.id, now).await.unwrap(),
        LinkEmail::OverLimit
    );
    let next_hour = now + Duration::from_secs(3601);
    assert_eq!(
        reports::email_link(&s.reports, &alice, report.id, next_hour).await.unwrap(),
        LinkEmail::Queued
    );
}

/// Sign out everywhere deletes the account's report links, so an email still waiting in
/// the outbox is dropped rather than sent with a link valid under the new epoch.
async fn signing_out_everywhere_drops_queued_report_links(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let alice = account(&s, "alice@example.com").await;
    let report = reports::create(&s.reports, alice.id, &draft("Q3", ""), now).await.unwrap();
    assert_eq!(
        reports::email_link(&s.reports, &alice, report.id, now).await.unwrap(),
        LinkEmail::Queued
    );
    let queued = outbox::claim_due(&s.db.write, now, Duration::from_secs(60), 10).await.unwrap();
    security::sign_out_everywhere(&s.db, alice.id).await.unwrap();
    assert!(
        reports::prepare_link_mail(&s.reports, queued[0].reference_id, now)
            .await
            .unwrap()
            .is_none()
    );
    assert!(reports::links_of(&s.reports, alice.id, report.id, now).await.unwrap().is_empty());
    // The report itself stays.
    assert!(reports::get(&s.reports, alice.id, report.id).await.unwrap().is_some());
}

/// Views of many links at once, read together in batches, each open their own report; a
/// tampered link or one presented for another report among them opens nothing.
async fn views_at_once_each_open_their_own_report(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let mut views: Vec<(i64, String, Result<String, Rejection>)> = Vec::new();
    for i in 0..12 {
        let owner = account(&s, &format!("owner{i}@example.com")).await;
        let title = format!("Report {i}");
        let report = reports::create(&s.reports, owner.id, &draft(&title, "x"), now).await.unwrap();
        let token = emailed_token(&s, &owner, report.id, now).await;
        views.push((report.id, token, Ok(title)));
    }
    let (first, first_token, _) = views[0].clone();
    let (second, second_token, _) = views[1].clone();
    views.push((first, first_token.clone(), Ok("Report 0".to_owned())));
    views.push((second, tamper_tag(&second_token), Err(Rejection::BadSignature)));
    views.push((second, first_token, Err(Rejection::WrongResource)));

    let mut opening = tokio::task::JoinSet::new();
    for (index, (report_id, token, _)) in views.iter().cloned().enumerate() {
        let s = s.clone();
        opening.spawn(async move { (index, open(&s, report_id, &token, now).await) });
    }
    let mut seen = 0;
    while let Some(opened) = opening.join_next().await {
        let (index, opened) = opened.unwrap();
        assert_eq!(opened, views[index].2, "view {index}");
        seen += 1;
    }
    assert_eq!(seen, views.len());
}

on_both_databases!(
    signing_out_everywhere_drops_queued_report_links,
    owners_manage_their_own_reports,
    a_link_opens_its_report_and_counts_people,
    views_at_once_each_open_their_own_report,
    report_links_die_as_they_should,
    the_configured_max_age_applies,
    link_emails_are_limited,
);
