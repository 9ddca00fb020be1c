//! Sign-in mail under a flood: delivery in fair order across networks, the site-wide
//! ceiling, one bucket per mailbox, and limits that hold exactly with several instances.

#[macro_use]
mod support;

use std::time::{Duration, SystemTime};

use app::entities::outbox_message;
use app::services::outbox::{self, Fairness};
use app::services::sign_in::{self, Origin, Outcome};
use app::services::{Purposes, Services};
use migrations::test_database::TestDatabase;
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
use support::{services, services_tuned};

const LEASE: Duration = Duration::from_secs(60);

async fn ask(s: &Services, email: &str, ip: &str, now: SystemTime) -> Outcome {
    let origin =
        Origin { client_ip: ip.parse().unwrap(), user_agent: "Firefox/140.0", browser: None };
    sign_in::request(&s.sign_in, email, None, &origin, now).await.unwrap().outcome
}

const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Whom the claimed messages go to, in claim order.
async fn claim(s: &Services, now: SystemTime, limit: u64, room: u64) -> Vec<String> {
    let fairness = Fairness { sign_in_room: room, window: Some(WINDOW) };
    let claimed = outbox::claim_due_fairly(&s.db.write, now, LEASE, limit, fairness);
    claimed.await.unwrap().into_iter().map(|m| m.recipient).collect()
}

/// A network that asked for many emails waits behind one that asked for one, though it
/// asked first; IPv6 addresses of one /48 (and IPv4 of one /24) are one network.
async fn a_flood_waits_behind_a_real_request(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    for n in 0..4 {
        let ip = format!("2001:db8:1:{n}::1");
        assert_eq!(ask(&s, &format!("flood{n}@example.com"), &ip, now).await, Outcome::Queued);
    }
    for n in 0..3 {
        let ip = format!("198.51.100.{n}");
        assert_eq!(ask(&s, &format!("v4flood{n}@example.com"), &ip, now).await, Outcome::Queued);
    }
    assert_eq!(ask(&s, "real@example.com", "203.0.113.9", now).await, Outcome::Queued);

    // As queued, each network's first email would go first, being older; at claim time
    // the networks' ranks are what they have asked for since.
    let order = claim(&s, now, 10, u64::MAX).await;
    assert_eq!(
        order,
        [
            // The network that asked once, then the one that asked 3 times, then 4.
            "real@example.com",
            "v4flood0@example.com",
            "v4flood1@example.com",
            "v4flood2@example.com",
            "flood0@example.com",
            "flood1@example.com",
            "flood2@example.com",
            "flood3@example.com",
        ]
    );
}

/// Over the site-wide ceiling no sign-in email is claimed, other mail still is; within it,
/// only as many as there is room for. The ceiling counts the emails sent in the last minute.
async fn the_ceiling_holds_back_sign_in_mail_only(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    for n in 0..3 {
        let email = format!("user{n}@example.com");
        assert_eq!(ask(&s, &email, &format!("192.0.2.{n}"), now).await, Outcome::Queued);
    }
    outbox::enqueue(&s.db.write, outbox_message::REPORT_LINK, 1, "owner@example.com", now)
        .await
        .unwrap();

    assert_eq!(claim(&s, now, 10, 0).await, ["owner@example.com"]);
    let fairness = Fairness { sign_in_room: 1, window: Some(WINDOW) };
    let claimed = outbox::claim_due_fairly(&s.db.write, now, LEASE, 10, fairness).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].recipient, "user0@example.com");
    outbox::mark_sent(&s.db.write, claimed[0].id, now).await.unwrap();

    let minute_ago = now - Duration::from_secs(60);
    assert_eq!(outbox::sign_in_sent_since(&s.db.read, minute_ago).await.unwrap(), 1);
    let later = now + Duration::from_secs(61);
    assert_eq!(
        outbox::sign_in_sent_since(&s.db.read, later - Duration::from_secs(60)).await.unwrap(),
        0
    );
}

/// `+tags` and Gmail's dots reach one inbox, so they share its quota; the email still goes
/// to the address as typed.
async fn tags_and_dots_share_one_quota(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let typed = [
        "alice@gmail.com",
        "a.lice@gmail.com",
        "alice+1@gmail.com",
        "A.L.I.C.E+x@googlemail.com",
        "alice+news@gmail.com",
    ];
    for (n, email) in typed.iter().enumerate() {
        assert_eq!(ask(&s, email, &format!("192.0.2.{n}"), now).await, Outcome::Queued, "{email}");
    }
    assert_eq!(ask(&s, "al.ice+6@gmail.com", "192.0.2.9", now).await, Outcome::OverAddressLimit);
    // Another mailbox at the same provider is untouched.
    assert_eq!(ask(&s, "bob@gmail.com", "192.0.2.9", now).await, Outcome::Queued);
    let sent_to = outbox_message::Entity::find()
        .filter(outbox_message::Column::Recipient.eq("a.l.i.c.e+x@googlemail.com"))
        .all(&s.db.read)
        .await
        .unwrap();
    assert_eq!(sent_to.len(), 1, "mail goes to the address as typed (normalised)");
}

/// Two instances writing at once (two writers on one database) admit no more than the
/// limits between them: 2 × 10 requests from one address, limit 6; 2 × 6 for one
/// mailbox, limit 5.
async fn two_instances_share_exact_limits(database: TestDatabase) {
    let tuned = |per_ip, per_email| {
        services_tuned(&database, &Purposes::default(), move |settings| {
            settings.per_ip = per_ip;
            settings.per_email = per_email;
        })
    };
    let (a, b) = (tuned(6, 100), tuned(6, 100));
    let now = SystemTime::now();
    let burst = |s: Services, who: &'static str| async move {
        let asks = (0..10).map(|n| {
            let s = s.clone();
            async move { ask(&s, &format!("{who}{n}@example.com"), "192.0.2.77", now).await }
        });
        futures_join(asks).await
    };
    let both = tokio::time::timeout(Duration::from_secs(30), async {
        tokio::join!(tokio::spawn(burst(a, "a")), tokio::spawn(burst(b, "b")))
    });
    let (from_a, from_b) = both.await.expect("the bursts finish");
    let outcomes: Vec<Outcome> = from_a.unwrap().into_iter().chain(from_b.unwrap()).collect();
    let queued = outcomes.iter().filter(|o| **o == Outcome::Queued).count();
    assert_eq!(queued, 6, "{outcomes:?}");

    let (a, b) = (tuned(1000, 5), tuned(1000, 5));
    let burst = |s: Services, ip: &'static str| async move {
        let asks = (0..6).map(|n| {
            let s = s.clone();
            async move { ask(&s, "carol@example.com", &format!("{ip}{n}"), now).await }
        });
        futures_join(asks).await
    };
    let both = tokio::time::timeout(Duration::from_secs(30), async {
        tokio::join!(tokio::spawn(burst(a, "198.51.100.")), tokio::spawn(burst(b, "203.0.113.")))
    });
    let (from_a, from_b) = both.await.expect("the bursts finish");
    let outcomes: Vec<Outcome> = from_a.unwrap().into_iter().chain(from_b.unwrap()).collect();
    let queued = outcomes.iter().filter(|o| **o == Outcome::Queued).count();
    assert_eq!(queued, 5, "{outcomes:?}");
}

/// Runs the futures at once on their own tasks; their outputs in order.
async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(tasks.len());
    for task in tasks {
        outputs.push(task.await.unwrap());
    }
    outputs
}

/// A network's emails are counted up to `RANK_CAP`, as queued (by requests one by one,
/// and arriving together, so in one batch) and as re-ranked at claim time: counting a
/// flood in full would cost every batch its size. Capped, a flood still waits behind a
/// real request.
async fn a_flood_ranks_no_higher_than_the_cap(database: TestDatabase) {
    let s = services(&database);
    let now = SystemTime::now();
    let cap = i64::try_from(outbox::RANK_CAP).unwrap();
    let ask_as = |n: i64| {
        let s = s.clone();
        async move {
            let (email, ip) = (format!("flood{n}@example.com"), format!("198.51.100.{n}"));
            ask(&s, &email, &ip, now).await
        }
    };
    // One by one, then the rest at once: those are written as one batch, across the cap.
    for n in 0..cap - 40 {
        assert_eq!(ask_as(n).await, Outcome::Queued);
    }
    let together = futures_join((cap - 40..cap + 3).map(ask_as)).await;
    assert!(together.iter().all(|o| *o == Outcome::Queued));
    assert_eq!(ask(&s, "real@example.com", "203.0.113.9", now).await, Outcome::Queued);
    let flood_ranks = || async {
        let messages = outbox_message::Entity::find().all(&s.db.read).await.unwrap();
        let flood = messages.into_iter().filter(|m| m.recipient.starts_with("flood"));
        let mut ranks: Vec<i64> = flood.map(|m| i64::from(m.fair_rank)).collect();
        ranks.sort_unstable();
        ranks
    };
    // Each the number of the network's emails before it, and no more than the cap.
    let expected: Vec<i64> = (0..cap + 3).map(|n| n.min(cap)).collect();
    assert_eq!(flood_ranks().await, expected);

    assert_eq!(claim(&s, now, 1, u64::MAX).await, ["real@example.com"]);
    // The flood's candidates looked at were raised, to the cap and no higher.
    let ranks = flood_ranks().await;
    assert!(ranks.iter().filter(|rank| **rank == cap).count() > 50, "{ranks:?}");
    assert!(ranks.iter().all(|rank| *rank <= cap), "{ranks:?}");
}

on_both_databases!(
    a_flood_ranks_no_higher_than_the_cap,
    a_flood_waits_behind_a_real_request,
    the_ceiling_holds_back_sign_in_mail_only,
    tags_and_dots_share_one_quota,
    two_instances_share_exact_limits,
);
