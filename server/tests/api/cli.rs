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
}

#[test]
fn user_add_refuses_a_malformed_address_in_one_line() {
    let data_dir = tempfile::tempdir().unwrap();
    let output = latchkey(&data_dir, &["user", "add", "not-an-address"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("invalid email"), "{stderr}");
}
