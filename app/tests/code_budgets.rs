//! The failure budgets of sign-in codes typed without their link: per address over a day,
//! per network block over an hour, site-wide per minute. Time is passed in.

#[macro_use]
mod support;

use std::time::{Duration, SystemTime};

use app::entities::code_failure;
use app::services::sign_in::{self, CodeOutcome, LinkRefusal, Proof, Spent};
use app::services::{CodeBudgets, OtherBrowser, Purposes, Services};
use migrations::test_database::TestDatabase;
use sea_orm::{EntityTrait as _, PaginatorTrait as _};
use support::{Asked, ask_sign_in, services_tuned, visitor, visitor_at, wrong_code};

/// Services whose budgets are `budgets`, asking for the code in other browsers.
fn with_budgets(database: &TestDatabase, budgets: CodeBudgets) -> Services {
    services_tuned(database, &Purposes::default(), |settings| {
        settings.code_budgets = budgets;
        settings.other_browser = OtherBrowser::Code;
    })
}

/// Budgets no test reaches but the one it is about.
fn roomy() -> CodeBudgets {
    CodeBudgets {
        per_address: 1000,
        per_ipv4: 1000,
        per_ipv4_24: 1000,
        per_ipv6_64: 1000,
        per_ipv6_56: 1000,
        per_ipv6_48: 1000,
        site_per_minute: 1000,
        ..CodeBudgets::default()
    }
}

async fn ask(s: &Services, email: &str, now: SystemTime) -> Asked {
    ask_sign_in(s, email, "192.0.2.1", None, now).await
}

/// Types `asked`'s code (or a wrong one) without its link, from `ip`.
async fn type_code(
    s: &Services,
    asked: &Asked,
    right: bool,
    ip: &str,
    now: SystemTime,
) -> CodeOutcome {
    let code = if right { asked.mail.code.clone() } else { wrong_code(&asked.mail.code) };
    sign_in::verify_code(
        &s.sign_in,
        &asked.handle,
        &code,
        visitor_at(ip.parse().unwrap()),
        None,
        now,
    )
    .await
    .unwrap()
}

/// One wrong code for a fresh request of `email`, from `ip`.
async fn guess(s: &Services, email: &str, ip: &str, now: SystemTime) -> CodeOutcome {
    let asked = ask(s, email, now).await;
    type_code(s, &asked, false, ip, now).await
}

/// Twenty wrong codes per address per day, over all its requests; then its codes stop
/// (even right ones), its links (with their code) still work, and a day later codes do.
async fn the_address_budget_spans_its_requests(database: TestDatabase) {
    let s =
        with_budgets(&database, CodeBudgets { site_per_minute: 1000, ..CodeBudgets::default() });
    let now = SystemTime::now();
    for _ in 0..4 {
        let asked = ask(&s, "hank@example.com", now).await;
        for left in (1..=4).rev() {
            let outcome = type_code(&s, &asked, false, "198.51.100.1", now).await;
            assert_eq!(outcome, CodeOutcome::Wrong { attempts_left: left });
        }
        assert_eq!(type_code(&s, &asked, false, "198.51.100.1", now).await, CodeOutcome::Dead);
    }
    let fifth = ask(&s, "hank@example.com", now).await;
    // From anywhere: the budget is the address's.
    let outcome = type_code(&s, &fifth, true, "203.0.113.50", now).await;
    assert_eq!(outcome, CodeOutcome::Paused(Spent::Address));
    // Another address is untouched.
    let other = ask(&s, "ida@example.com", now).await;
    assert!(matches!(
        type_code(&s, &other, true, "198.51.100.1", now).await,
        CodeOutcome::SignedIn(_)
    ));
    // The link, with its code, still signs in.
    let proof = Proof { code: Some(&fifth.mail.code), ..Proof::default() };
    assert!(
        sign_in::redeem_link(&s.sign_in, fifth.token(), proof, visitor(), None, now)
            .await
            .unwrap()
            .is_ok()
    );

    let tomorrow = now + Duration::from_secs(24 * 3600 + 1);
    let asked = ask(&s, "hank@example.com", tomorrow).await;
    let outcome = type_code(&s, &asked, true, "198.51.100.1", tomorrow).await;
    assert!(matches!(outcome, CodeOutcome::SignedIn(_)), "{outcome:?}");
}

/// Each block of the client's network has its own hourly budget: an IPv4 address and its
/// /24; an IPv6 /64, /56 and /48. Guessing across many addresses runs into them.
async fn network_budgets_hold_per_block(database: TestDatabase) {
    let budgets = CodeBudgets {
        per_ipv4: 3,
        per_ipv4_24: 5,
        per_ipv6_64: 2,
        per_ipv6_56: 3,
        per_ipv6_48: 4,
        ..roomy()
    };
    let s = with_budgets(&database, budgets);
    let now = SystemTime::now();
    let mut n = 0;
    let mut next_address = || {
        n += 1;
        format!("victim{n}@example.com")
    };
    let paused = CodeOutcome::Paused(Spent::Network);
    for (ip, admitted) in [
        ("203.0.113.7", 3),
        // Same /24: two more fill it.
        ("203.0.113.8", 2),
        ("2001:db8:1:1::1", 2),
        // Same /56 as the one before: one more fills it.
        ("2001:db8:1:2::1", 1),
        // Same /48, another /56: one more fills the /48.
        ("2001:db8:1:100::1", 1),
    ] {
        for _ in 0..admitted {
            let outcome = guess(&s, &next_address(), ip, now).await;
            assert!(matches!(outcome, CodeOutcome::Wrong { .. }), "{ip}: {outcome:?}");
        }
        assert_eq!(guess(&s, &next_address(), ip, now).await, paused, "{ip}");
    }
    // Another /24 and another /48 are untouched, and an hour later the first block is too.
    for ip in ["198.51.100.1", "2001:db8:2::1"] {
        assert!(matches!(guess(&s, &next_address(), ip, now).await, CodeOutcome::Wrong { .. }));
    }
    let later = now + Duration::from_secs(3601);
    let asked = ask(&s, &next_address(), later).await;
    assert!(matches!(
        type_code(&s, &asked, true, "203.0.113.7", later).await,
        CodeOutcome::SignedIn(_)
    ));
}

/// Above the site-wide ceiling, codes typed without a link pause for everyone for the rest
/// of the minute; links keep working.
async fn the_site_ceiling_pauses_codes_but_not_links(database: TestDatabase) {
    let s = with_budgets(&database, CodeBudgets { site_per_minute: 3, ..roomy() });
    let now = SystemTime::now();
    for (i, ip) in ["198.51.100.1", "203.0.113.1", "192.0.2.50"].into_iter().enumerate() {
        let outcome = guess(&s, &format!("a{i}@example.com"), ip, now).await;
        assert!(matches!(outcome, CodeOutcome::Wrong { .. }), "{outcome:?}");
    }
    let bystander = ask(&s, "bystander@example.com", now).await;
    let outcome = type_code(&s, &bystander, true, "2001:db8:9::1", now).await;
    assert_eq!(outcome, CodeOutcome::Paused(Spent::Site));
    let proof = Proof { code: Some(&bystander.mail.code), ..Proof::default() };
    assert!(
        sign_in::redeem_link(&s.sign_in, bystander.token(), proof, visitor(), None, now)
            .await
            .unwrap()
            .is_ok()
    );

    let next_minute = now + Duration::from_secs(61);
    let asked = ask(&s, "later@example.com", next_minute).await;
    let outcome = type_code(&s, &asked, true, "2001:db8:9::1", next_minute).await;
    assert!(matches!(outcome, CodeOutcome::SignedIn(_)), "{outcome:?}");
}

/// Only wrong codes count: right ones take their try back, and a code typed with its link
/// draws on no budget at all.
async fn only_wrong_codes_without_a_link_count(database: TestDatabase) {
    let s = with_budgets(&database, CodeBudgets { per_address: 2, ..roomy() });
    let now = SystemTime::now();
    for _ in 0..3 {
        let asked = ask(&s, "jo@example.com", now).await;
        let outcome = type_code(&s, &asked, true, "198.51.100.1", now).await;
        assert!(matches!(outcome, CodeOutcome::SignedIn(_)), "{outcome:?}");
    }
    assert_eq!(code_failure::Entity::find().count(&s.db.read).await.unwrap(), 0);
    let asked = ask(&s, "jo@example.com", now).await;
    for left in [4, 3, 2] {
        let wrong = wrong_code(&asked.mail.code);
        let proof = Proof { code: Some(&wrong), ..Proof::default() };
        let refused =
            sign_in::redeem_link(&s.sign_in, asked.token(), proof, visitor(), None, now).await;
        assert_eq!(refused.unwrap(), Err(LinkRefusal::WrongCode { attempts_left: left }));
    }
    assert_eq!(code_failure::Entity::find().count(&s.db.read).await.unwrap(), 0);
}

/// Parallel guesses cannot overdraw a budget: each try is written before it is counted,
/// and counts every try written before its count. (A burst over a budget may be refused
/// whole: each of its tries can see the others. Refused tries leave nothing behind.)
async fn parallel_guesses_never_exceed_a_budget(database: TestDatabase) {
    let s = with_budgets(&database, CodeBudgets { per_ipv4: 4, ..roomy() });
    let now = SystemTime::now();
    let mut asked = Vec::new();
    for i in 0..12 {
        asked.push(ask(&s, &format!("p{i}@example.com"), now).await);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for asked in asked {
        let s = s.clone();
        tasks.spawn(async move { type_code(&s, &asked, false, "203.0.113.9", now).await });
    }
    let outcomes = tasks.join_all().await;
    let admitted = outcomes.iter().filter(|o| matches!(o, CodeOutcome::Wrong { .. })).count();
    let refused = outcomes.iter().filter(|o| **o == CodeOutcome::Paused(Spent::Network)).count();
    assert!(admitted <= 4, "{outcomes:?}");
    assert_eq!(admitted + refused, 12, "{outcomes:?}");
    for i in admitted..4 {
        let outcome = guess(&s, &format!("q{i}@example.com"), "203.0.113.9", now).await;
        assert!(matches!(outcome, CodeOutcome::Wrong { .. }), "{outcome:?}");
    }
    let over = guess(&s, "over@example.com", "203.0.113.9", now).await;
    assert_eq!(over, CodeOutcome::Paused(Spent::Network));
}

on_both_databases!(
    the_address_budget_spans_its_requests,
    network_budgets_hold_per_block,
    the_site_ceiling_pauses_codes_but_not_links,
    only_wrong_codes_without_a_link_count,
    parallel_guesses_never_exceed_a_budget,
);
