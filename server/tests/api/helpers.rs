use std::path::PathBuf;
use std::time::Duration;

use clap::Parser as _;
use migrations::test_database::{self, TestDatabase};
use server::cli::Cli;
use server::config::Config;
use server::startup::{self, Application};

/// A running application and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub data_dir: tempfile::TempDir,
    _database: Option<TestDatabase>,
}

/// A response that never ends fails its test, rather than stalling the whole run.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What the test browsers say they are (the email names it: "Firefox on Linux").
pub const USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A new browser: its own cookie jar.
    pub fn browser(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        // A plain form post, as without JavaScript: server functions answer with redirects.
        headers.insert("accept", "text/html".parse().unwrap());
        client().cookie_store(true).user_agent(USER_AGENT).default_headers(headers).build().unwrap()
    }

    /// A new browser that sends what a person's browser does on a page load (the
    /// language, too), so its opens count as a person's.
    pub fn person(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("accept", "text/html,application/xhtml+xml,*/*;q=0.8".parse().unwrap());
        headers.insert("accept-language", "en-GB,en;q=0.9".parse().unwrap());
        client().cookie_store(true).user_agent(USER_AGENT).default_headers(headers).build().unwrap()
    }

    /// The text part of every .eml the file transport has written so far.
    pub fn mail_texts(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.data_dir.path().join("mail")) else {
            return Vec::new();
        };
        let mut texts = Vec::new();
        for entry in entries.flatten() {
            let Ok(raw) = std::fs::read(entry.path()) else { continue };
            let Ok(mail) = mailparse::parse_mail(&raw) else { continue };
            let Some(text) = mail.subparts.iter().find(|p| p.ctype.mimetype == "text/plain") else {
                continue;
            };
            texts.push(text.get_body().unwrap_or_default());
        }
        texts
    }

    /// The SQLite database of an app from [`spawn_app`], as a URL.
    pub fn sqlite_url(&self) -> String {
        format!("sqlite://{}/db/latchkey.db", self.data_dir.path().display())
    }

    pub fn secret_file(&self) -> PathBuf {
        self.data_dir.path().join("secret.key")
    }
}

/// What every test client shares: redirects not followed (tests check them), and a limit.
fn client() -> reqwest::ClientBuilder {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(REQUEST_TIMEOUT)
}

/// Settings for a test instance: port 0, files in a temporary folder, plus `extra` flags.
pub fn config(data_dir: &tempfile::TempDir, database_url: &str, extra: &[&str]) -> Config {
    let secret_file = data_dir.path().join("secret.key");
    let mut args = vec![
        "latchkey".to_owned(),
        format!("--database-url={database_url}"),
        "--bind=127.0.0.1:0".to_owned(),
        format!("--secret-file={}", secret_file.display()),
        "--log=warn".to_owned(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    Config::try_from(Cli::try_parse_from(args).expect("test flags parse").config)
        .expect("test config is valid")
}

pub async fn start(
    config: Config,
    database: Option<TestDatabase>,
    data_dir: tempfile::TempDir,
) -> TestApp {
    server::telemetry::init("warn");
    let app = Application::build(config, startup::default_leptos_options())
        .await
        .expect("the app builds");
    let address = format!("http://{}", app.local_addr().unwrap());
    tokio::spawn(app.run_until_stopped());
    let client = client().build().unwrap();
    TestApp { address, client, data_dir, _database: database }
}

/// The app on a fresh SQLite file inside its data folder, created by the app itself.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Same, with extra flags (e.g. `--smtp-url=…`).
pub async fn spawn_app_with(extra: &[&str]) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/db/latchkey.db", data_dir.path().display());
    let mut flags = vec![format!("--mail-dir={}", data_dir.path().join("mail").display())];
    flags.extend(extra.iter().map(|s| (*s).to_owned()));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    start(config(&data_dir, &url, &flags), None, data_dir).await
}

/// The app on a fresh PostgreSQL schema, or `None` when PostgreSQL is not configured
/// (never in CI, where that is an error).
pub async fn spawn_app_on_postgres() -> Option<TestApp> {
    let database = test_database::postgres().await.expect("PostgreSQL is reachable")?;
    let data_dir = tempfile::tempdir().unwrap();
    // The schema was created and migrated by the helper; the app runs migrations again,
    // which must be a no-op.
    let url = database.url.clone();
    let secret = format!("--secret={}", tokens::Secret::generate().to_base64());
    let config = config(&data_dir, &url, &[&secret]);
    Some(start(config, Some(database), data_dir).await)
}
