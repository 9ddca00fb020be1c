//! What the service-level suites share: services on a test database, and the two
//! databases every rule is checked on.

// Each suite uses its own part of this module.
#![allow(dead_code)]

use std::time::Duration;

use app::domain::{EmailAddress, SignInCode};
use app::entities::{email_change, outbox_message, user};
use app::services::email_change as email_changes;
use app::services::sign_in::CodeHasher;
use app::services::{
    CodeBudgets, Db, OtherBrowser, Purposes, Scopes, Services, ShareSettings, SignInSettings,
    accounts, activity,
};
use migrations::test_database::TestDatabase;
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _};
use tokens::{KeyRing, Secret};

/// The services, on `database`, with the default purposes under a fresh secret.
pub fn services(database: &TestDatabase) -> Services {
    services_with(database, &Purposes::default())
}

pub fn services_with(database: &TestDatabase, purposes: &Purposes) -> Services {
    services_tuned(database, purposes, |_| {})
}

/// The services, with sign-in settings changed by `tune` from the tests' defaults.
pub fn services_tuned(
    database: &TestDatabase,
    purposes: &Purposes,
    tune: impl FnOnce(&mut SignInSettings),
) -> Services {
    instance(database, KeyRing::new(Secret::generate()), purposes, tune)
}

/// Two instances' services on `database`, under one secret, as a deployment's are.
pub fn two_instances(database: &TestDatabase) -> [Services; 2] {
    let secret = Secret::generate().to_base64();
    let ring = || KeyRing::new(Secret::from_base64(&secret).unwrap());
    [(); 2].map(|()| instance(database, ring(), &Purposes::default(), |_| {}))
}

fn instance(
    database: &TestDatabase,
    ring: KeyRing,
    purposes: &Purposes,
    tune: impl FnOnce(&mut SignInSettings),
) -> Services {
    let mut settings = SignInSettings {
        base_url: "https://latchkey.test".into(),
        secure_cookies: true,
        per_email: 5,
        per_ip: 60,
        rate_window: Duration::from_secs(15 * 60),
        session_idle: Duration::from_secs(3600),
        session_absolute: Duration::from_secs(86400),
        // The one-button page the older tests were written for; tests of the other
        // modes and of browser binding build their own.
        other_browser: OtherBrowser::Confirm,
        code_budgets: CodeBudgets::default(),
    };
    tune(&mut settings);
    Services::new(
        Db::single(database.db.clone()),
        Scopes::new(&ring, purposes),
        settings,
        ShareSettings { per_day: 50 },
        // The cheapest valid parameters: these tests are about the rules, not the cost.
        CodeHasher::new(8, 1, 1).unwrap(),
    )
}

/// A new active account for `email`.
pub async fn account(s: &Services, email: &str) -> user::Model {
    accounts::create(&s.db.write, &EmailAddress::parse(email).unwrap()).await.unwrap()
}

/// Changes the account's address as its owner would: asks, then confirms with the link
/// mailed to the new address.
pub async fn change_email(s: &Services, user_id: i64, email: &str) {
    let now = std::time::SystemTime::now();
    let user = user::Entity::find_by_id(user_id).one(&s.db.read).await.unwrap().unwrap();
    email_changes::request(&s.email_changes, &user, email, now).await.unwrap().unwrap();
    let token = email_change_token(s, user_id, outbox_message::EMAIL_CHANGE, now).await.unwrap();
    email_changes::confirm(&s.email_changes, &token, None, now).await.unwrap().unwrap();
}

/// The token in the `kind` email of the account's latest email change, as the mail worker
/// would send it; `None` if that email would not be sent.
pub async fn email_change_token(
    s: &Services,
    user_id: i64,
    kind: &str,
    now: std::time::SystemTime,
) -> Option<String> {
    use email_changes::ChangeMail;
    let row = email_change::Entity::find()
        .filter(email_change::Column::UserId.eq(user_id))
        .order_by_desc(email_change::Column::Id)
        .one(&s.db.read)
        .await
        .unwrap()?;
    let mail = email_changes::prepare_mail(&s.email_changes, kind, row.id, now);
    let link = match mail.await.unwrap()? {
        ChangeMail::Confirm { link, .. } => link,
        ChangeMail::Notice { undo_link, .. } => undo_link,
        ChangeMail::Taken { .. } | ChangeMail::Reserved { .. } => return None,
    };
    Some(link.split_once("token=").unwrap().1.to_owned())
}

/// What the sessions table keeps of a session id: its SHA-256, in hex.
pub fn stored_session_id(id: &str) -> String {
    sha256_hex(id)
}

/// `text`'s SHA-256 in lowercase hex, as the database keeps a browser's secrets.
pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest as _, Sha256};
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// `token` with one bit of its tag changed. The next-to-last character always carries six
/// data bits (the last may carry padding bits, whose change strict decoding refuses as
/// malformed), so the result is well-formed and fails only on its signature.
pub fn tamper_tag(token: &str) -> String {
    let mut tampered = token.to_owned().into_bytes();
    let inside_tag = tampered.len() - 2;
    tampered[inside_tag] = if tampered[inside_tag] == b'A' { b'B' } else { b'A' };
    String::from_utf8(tampered).unwrap()
}

/// Where a test's requests come from, as the security activity records it.
pub fn visitor() -> activity::Origin {
    visitor_at(std::net::IpAddr::from([203, 0, 113, 9]))
}

pub fn visitor_at(ip: std::net::IpAddr) -> activity::Origin {
    activity::Origin { ip, user_agent: "test browser".to_owned() }
}

/// A code that is not `right`.
pub fn wrong_code(right: &SignInCode) -> SignInCode {
    let n: u32 = right.as_str().parse().unwrap();
    SignInCode::parse(&format!("{:06}", (n + 1) % 1_000_000)).unwrap()
}

/// Runs each named `async fn(TestDatabase)` on SQLite and, when configured, PostgreSQL.
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() {
                super::$name(migrations::test_database::sqlite().await.unwrap()).await;
            })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() {
                if let Some(database) = migrations::test_database::postgres().await.unwrap() {
                    super::$name(database).await;
                }
            })*
        }
    };
}

/// A sign-in request as a browser makes it, and the email its mail worker would send.
pub struct Asked {
    pub handle: String,
    pub mail: app::services::sign_in::SignInMail,
}

impl Asked {
    /// The link's token.
    pub fn token(&self) -> &str {
        self.mail.link.split_once("token=").expect("a sign-in link").1
    }
}

/// Asks for a sign-in email for `email` from `ip`, in the browser holding `browser`'s
/// cookie secret, and prepares that email. Panics if it was not queued.
pub async fn ask_sign_in(
    s: &Services,
    email: &str,
    ip: &str,
    browser: Option<&str>,
    now: std::time::SystemTime,
) -> Asked {
    use app::entities::outbox_message;
    use app::services::sign_in::{self, Origin, Outcome};
    let origin = Origin { client_ip: ip.parse().unwrap(), user_agent: "Firefox/140.0", browser };
    let asked = sign_in::request(&s.sign_in, email, None, &origin, now).await.unwrap();
    assert_eq!(asked.outcome, Outcome::Queued, "{email} from {ip}");
    let message = outbox_message::Entity::find()
        .order_by_desc(outbox_message::Column::Id)
        .one(&s.db.read)
        .await
        .unwrap()
        .unwrap();
    let mail = link_mail(&s.sign_in, message.reference_id, now).await;
    Asked { handle: asked.handle, mail }
}

/// The email with a link and a code that the mail worker would send for sign-in request
/// `id`. Panics if it would send another, or none.
pub async fn link_mail(
    sign_in: &app::services::sign_in::SignIn,
    id: i64,
    now: std::time::SystemTime,
) -> app::services::sign_in::SignInMail {
    use app::services::sign_in::{self, SignInEmail};
    match sign_in::prepare_mail(sign_in, id, now).await.unwrap() {
        Some(SignInEmail::Link(mail)) => mail,
        other => panic!("no sign-in link for request {id}: {other:?}"),
    }
}
