//! Start-up: configuration errors, the generated secret, migrations.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait as _, Database};

use crate::helpers::{config, spawn_app, start};

/// Runs the real binary with one setting changed; it must stop (within 20 s) with one line
/// naming it.
fn start_with(settings: &[(&str, &str)]) -> (Option<i32>, String) {
    let data_dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .env("LATCHKEY_SECRET_FILE", data_dir.path().join("secret.key"))
        .env("LATCHKEY_DATABASE_URL", format!("sqlite://{}/db.sqlite", data_dir.path().display()))
        .env("LATCHKEY_BIND", "127.0.0.1:0")
        .envs(settings.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("latchkey with {settings:?} did not stop");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    (output.status.code(), String::from_utf8(output.stderr).unwrap())
}

#[test]
fn bad_settings_stop_start_up_with_one_line_naming_the_setting() {
    let cases = [
        ("LATCHKEY_DATABASE_URL", "mysql://nope"),
        ("LATCHKEY_BASE_URL", "example.com"),
        ("LATCHKEY_BIND", "port 80"),
        ("LATCHKEY_SECRET", "too-short"),
        ("LATCHKEY_PREVIOUS_SECRETS", "a,b"),
        ("LATCHKEY_LOGIN_MAX_AGE", "none"),
        ("LATCHKEY_REPORT_MAX_AGE", "soon"),
        ("LATCHKEY_LOG", "[[[bad"),
        ("LATCHKEY_LOGIN_MAX_AGE", "2days"),
    ];
    for (var, value) in cases {
        let (code, stderr) = start_with(&[(var, value)]);
        assert_eq!(code, Some(2), "{var}={value}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{var}={value}: {stderr}");
        assert!(stderr.contains(var), "{var}={value}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn an_unreachable_database_is_one_clear_line() {
    let secret = tokens::Secret::generate().to_base64();
    let (code, stderr) = start_with(&[
        ("LATCHKEY_DATABASE_URL", "postgres://nobody:hunter2@127.0.0.1:1/none"),
        ("LATCHKEY_SECRET", &secret),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("latchkey: cannot open the database (LATCHKEY_DATABASE_URL)")),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_master_secret_is_generated_once_with_owner_only_permissions() {
    let app = spawn_app().await;
    let written = std::fs::read_to_string(app.secret_file()).unwrap();
    assert!(tokens::Secret::from_base64(&written).is_ok());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(app.secret_file()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A restart on the same folder reuses it rather than logging everybody out.
    let url = format!("sqlite://{}/db/latchkey.db", app.data_dir.path().display());
    let data_dir = tempfile::TempDir::new_in(app.data_dir.path()).unwrap();
    let mut again = config(&data_dir, &url, &[]);
    again.secret_file = app.secret_file();
    let _second = start(again, None, data_dir).await;
    assert_eq!(std::fs::read_to_string(app.secret_file()).unwrap(), written);
}

#[tokio::test]
async fn an_explicit_secret_writes_no_file() {
    let data_dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/latchkey.db", data_dir.path().display());
    let secret = format!("--secret={}", tokens::Secret::generate().to_base64());
    let app = start(config(&data_dir, &url, &[&secret]), None, data_dir).await;
    assert!(!app.secret_file().exists());
}

#[tokio::test]
async fn migrations_run_at_start_up() {
    let app = spawn_app().await;
    let url = format!("sqlite://{}/db/latchkey.db", app.data_dir.path().display());
    let db = Database::connect(url).await.unwrap();
    for table in ["users", "redeemed_tokens"] {
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '{table}'"),
            ))
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "table {table} exists");
    }
    let mode = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "PRAGMA journal_mode",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mode.try_get_by_index::<String>(0).unwrap(), "wal");
}

#[cfg(unix)]
#[test]
fn a_secret_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let data_dir = tempfile::tempdir().unwrap();
    let file = data_dir.path().join("secret.key");
    std::fs::write(&file, tokens::Secret::generate().to_base64()).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let file = file.display().to_string();
    let (code, stderr) = start_with(&[("LATCHKEY_SECRET_FILE", &file)]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("LATCHKEY_SECRET_FILE") && stderr.contains("chmod 600"), "{stderr}");
}
