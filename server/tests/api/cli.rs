//! The admin subcommands of the real binary.

use std::process::{Command, Output};

fn latchkey(data_dir: &tempfile::TempDir, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .env("LATCHKEY_DATABASE_URL", format!("sqlite://{}/db.sqlite", data_dir.path().display()))
        .env("LATCHKEY_SECRET_FILE", data_dir.path().join("secret.key"))
        .env("LATCHKEY_LOG", "warn")
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn user_add_creates_one_account_per_address() {
    let data_dir = tempfile::tempdir().unwrap();
    let created = latchkey(&data_dir, &["user", "add", "  Alice@Example.com"]);
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert_eq!(text(&created.stdout).trim(), "created user 1 <alice@example.com>");

    let again = latchkey(&data_dir, &["user", "add", "alice@EXAMPLE.com"]);
    assert_eq!(again.status.code(), Some(1));
    let stderr = text(&again.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");

    let several = latchkey(&data_dir, &["user", "add", "bo@example.com", "cy@example.com"]);
    assert!(several.status.success(), "{}", text(&several.stderr));
    let stdout = text(&several.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.len() == 2 && lines[0].ends_with("<bo@example.com>"), "{stdout}");
    assert!(lines[1].ends_with("<cy@example.com>"), "{stdout}");
}

#[tokio::test]
async fn user_add_makes_a_guest_an_ordinary_account() {
    use migrations::sea_orm::{ConnectionTrait as _, Database, Statement};

    let data_dir = tempfile::tempdir().unwrap();
    latchkey(&data_dir, &["user", "add", "gus@example.com"]);
    // As the first share to the address leaves it: a guest, who cannot sign in by itself.
    let url = format!("sqlite://{}/db.sqlite", data_dir.path().display());
    let db = Database::connect(&url).await.unwrap();
    let status = "SELECT status FROM users WHERE email = 'gus@example.com'";
    db.execute_unprepared("UPDATE users SET status = 'guest'").await.unwrap();

    let made = latchkey(&data_dir, &["user", "add", "Gus@example.com"]);
    assert!(made.status.success(), "{}", text(&made.stderr));
    assert_eq!(text(&made.stdout).trim(), "made guest 1 <gus@example.com> a user");
    let status = Statement::from_string(db.get_database_backend(), status);
    let row = db.query_one_raw(status).await.unwrap().unwrap();
    assert_eq!(row.try_get::<String>("", "status").unwrap(), "active");

    let again = latchkey(&data_dir, &["user", "add", "gus@example.com"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("already exists"));
}

#[tokio::test]
async fn user_add_refuses_an_address_kept_for_the_account_that_left_it() {
    use migrations::sea_orm::{ConnectionTrait as _, Database};

    let data_dir = tempfile::tempdir().unwrap();
    latchkey(&data_dir, &["user", "add", "ann@example.com"]);
    // Ann moved to a new address today, by a confirmed change she may still undo.
    let url = format!("sqlite://{}/db.sqlite", data_dir.path().display());
    let db = Database::connect(&url).await.unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    db.execute_unprepared("UPDATE users SET email = 'ann@new.example'").await.unwrap();
    db.execute_unprepared(&format!(
        "INSERT INTO email_changes (user_id, old_email, new_email, status, created_at, confirmed_at) \
         VALUES (1, 'ann@example.com', 'ann@new.example', 'confirmed', {0}, {0})",
        now.as_secs()
    ))
    .await
    .unwrap();

    let refused = latchkey(&data_dir, &["user", "add", "zed@example.com", "ann@example.com"]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("ann@example.com is kept until") && stderr.contains("user 1"),
        "{stderr}"
    );
    // Nothing was created, not even the address that was free.
    let created = latchkey(&data_dir, &["user", "add", "zed@example.com"]);
    assert_eq!(text(&created.stdout).trim(), "created user 2 <zed@example.com>");
}

#[test]
fn user_add_refuses_a_malformed_address_in_one_line() {
    let data_dir = tempfile::tempdir().unwrap();
    // One bad address among several: nothing is created.
    let output = latchkey(&data_dir, &["user", "add", "ok@example.com", "not-an-address"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("invalid email"), "{stderr}");
    let retried = latchkey(&data_dir, &["user", "add", "ok@example.com"]);
    assert_eq!(text(&retried.stdout).trim(), "created user 1 <ok@example.com>");
}

#[tokio::test]
async fn link_login_prints_links_the_server_accepts() {
    let data_dir = tempfile::tempdir().unwrap();
    let printed = latchkey(
        &data_dir,
        &[
            "link",
            "login",
            "--email",
            "Gina@Example.com",
            "--email",
            "hal@example.com",
            "--next",
            "/dashboard?from=cli",
            "--count",
            "2",
        ],
    );
    assert!(printed.status.success(), "{}", text(&printed.stderr));
    let stdout = text(&printed.stdout);
    let links: Vec<&str> = stdout.lines().collect();
    assert_eq!(links.len(), 4, "two per address: {stdout}");
    assert_ne!(links[0], links[1]);
    let prefix = "http://127.0.0.1:3000/signin/link?token=";
    assert!(links.iter().all(|l| l.starts_with(prefix)), "{stdout}");

    let refused = latchkey(
        &data_dir,
        &["link", "login", "--email", "g@example.com", "--next", "//evil.example"],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(text(&refused.stderr).trim().lines().count(), 1);

    // A server on the same database and secret accepts each link once; the account is
    // created by the first.
    let url = format!("sqlite://{}/db.sqlite", data_dir.path().display());
    let app =
        crate::helpers::start(crate::helpers::config(&data_dir, &url, &[]), None, data_dir).await;
    let redeem = |token: String| {
        let browser = app.browser();
        let url = app.url("/api/sign-in/link");
        async move {
            let response = browser.post(url).form(&[("token", token)]).send().await.unwrap();
            response.headers()["location"].to_str().unwrap().to_owned()
        }
    };
    let token = |link: &str| link.strip_prefix(prefix).unwrap().to_owned();
    assert_eq!(redeem(token(links[0])).await, "/dashboard?from=cli");
    assert_eq!(redeem(token(links[1])).await, "/dashboard?from=cli");
    assert_eq!(redeem(token(links[0])).await, "/signin/continue");
}

#[tokio::test]
async fn link_report_prints_report_links_the_server_opens() {
    let data_dir = tempfile::tempdir().unwrap();
    latchkey(&data_dir, &["user", "add", "ivy@example.com"]);
    let printed = latchkey(
        &data_dir,
        &[
            "link",
            "report",
            "--email",
            "ivy@example.com",
            "--email",
            "jo@example.com",
            "--title",
            "Q4",
        ],
    );
    assert!(printed.status.success(), "{}", text(&printed.stderr));
    let stdout = text(&printed.stdout);
    let links: Vec<&str> = stdout.lines().collect();
    assert_eq!(links.len(), 2, "one per address: {stdout}");
    let base = "http://127.0.0.1:3000";
    assert!(links.iter().all(|l| l.starts_with(&format!("{base}/reports/"))), "{stdout}");
    let empty_title =
        latchkey(&data_dir, &["link", "report", "--email", "k@example.com", "--title", " "]);
    assert_eq!(empty_title.status.code(), Some(2));

    let url = format!("sqlite://{}/db.sqlite", data_dir.path().display());
    let app =
        crate::helpers::start(crate::helpers::config(&data_dir, &url, &[]), None, data_dir).await;
    for link in links {
        let response = app
            .client
            .get(link.replacen(base, &app.address, 1))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let report: serde_json::Value = response.json().await.unwrap();
        assert_eq!(report["title"], "Q4");
    }
}

#[tokio::test]
async fn link_share_prints_share_links_the_server_opens() {
    let data_dir = tempfile::tempdir().unwrap();
    let printed = latchkey(&data_dir, &["link", "share", "--email", "lee@example.com"]);
    assert!(printed.status.success(), "{}", text(&printed.stderr));
    let stdout = text(&printed.stdout);
    let base = "http://127.0.0.1:3000";
    let link = stdout.trim();
    assert!(link.starts_with(&format!("{base}/shared?token=")), "{stdout}");

    let url = format!("sqlite://{}/db.sqlite", data_dir.path().display());
    let app =
        crate::helpers::start(crate::helpers::config(&data_dir, &url, &[]), None, data_dir).await;
    let response = app.client.get(link.replacen(base, &app.address, 1)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("Shared with you by lee@example.com"), "{page}");
}

/// `keys generate` prints a secret the server accepts; `keys list` prints the ring's ids
/// (never a secret), the signing one first, for the rotation steps in the README.
#[test]
fn keys_list_the_ring_and_generate_new_secrets() {
    let data_dir = tempfile::tempdir().unwrap();
    let generated = latchkey(&data_dir, &["keys", "generate"]);
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    let (old, new) = (text(&generated.stdout).trim().to_owned(), {
        let again = latchkey(&data_dir, &["keys", "generate"]);
        text(&again.stdout).trim().to_owned()
    });
    assert!(old.len() >= 43 && old != new, "{old} {new}");

    let list = |current: &str, previous: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_latchkey"))
            .env(
                "LATCHKEY_DATABASE_URL",
                format!("sqlite://{}/db.sqlite", data_dir.path().display()),
            )
            .env("LATCHKEY_SECRET", current)
            .env("LATCHKEY_PREVIOUS_SECRETS", previous)
            .env("LATCHKEY_LOG", "warn")
            .args(["keys", "list"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout)
    };
    let staged = list(&old, &new);
    let promoted = list(&new, &old);
    let lines: Vec<&str> = staged.lines().collect();
    assert_eq!(lines.len(), 2, "{staged}");
    assert!(lines[0].starts_with("signing ") && lines[1].starts_with("verifying "), "{staged}");
    let id = |line: &str| line.split_once(' ').unwrap().1.to_owned();
    let promoted: Vec<&str> = promoted.lines().collect();
    assert_eq!((id(promoted[0]), id(promoted[1])), (id(lines[1]), id(lines[0])));
    assert!(!staged.contains(&old) && !staged.contains(&new), "ids only: {staged}");

    // The same secret twice is refused, in one line.
    let twice = Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .env("LATCHKEY_DATABASE_URL", format!("sqlite://{}/db.sqlite", data_dir.path().display()))
        .env("LATCHKEY_SECRET", &old)
        .env("LATCHKEY_PREVIOUS_SECRETS", &old)
        .args(["keys", "list"])
        .output()
        .unwrap();
    assert_eq!(twice.status.code(), Some(2));
    assert_eq!(text(&twice.stderr).trim().lines().count(), 1, "{}", text(&twice.stderr));

    // Listing only looks: with no secret file yet, it says so and makes none.
    let fresh = tempfile::tempdir().unwrap();
    let missing = latchkey(&fresh, &["keys", "list"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("does not exist"), "{}", text(&missing.stderr));
    assert!(!fresh.path().join("secret.key").exists());
}
