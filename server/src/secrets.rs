//! The master secret: given by the operator, or generated on first run and kept in a file
//! only its owner can read.

use std::io::Write as _;
use std::path::Path;

use tokens::{KeyRing, Secret};

use crate::config::{Config, ConfigError};

const SETTING: &str = "LATCHKEY_SECRET_FILE (--secret-file)";

/// The key ring to sign and verify with: the current secret, then the previous ones.
pub fn load_key_ring(config: &Config) -> Result<KeyRing, ConfigError> {
    let current = match &config.secret {
        Some(secret) => secret.clone(),
        None => load_or_generate(&config.secret_file)?,
    };
    with_previous(config, current)
}

/// The key ring as [`load_key_ring`] would load it, but never generating a secret: for
/// commands that only look (a missing file is an error, not a new secret).
pub fn read_key_ring(config: &Config) -> Result<KeyRing, ConfigError> {
    let current = match &config.secret {
        Some(secret) => secret.clone(),
        None => {
            let path = &config.secret_file;
            let read = match std::fs::metadata(path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Err("does not exist (the server generates it on its first start)".into())
                }
                _ => read_private(path),
            };
            read.map_err(|e| ConfigError::new(SETTING, format!("{}: {e}", path.display())))?
        }
    };
    with_previous(config, current)
}

fn with_previous(config: &Config, current: Secret) -> Result<KeyRing, ConfigError> {
    config.previous_secrets.iter().try_fold(KeyRing::new(current), |ring, previous| {
        ring.with_previous(previous.clone()).map_err(|e| {
            ConfigError::new("LATCHKEY_PREVIOUS_SECRETS (--previous-secrets)", e.to_string())
        })
    })
}

fn load_or_generate(path: &Path) -> Result<Secret, ConfigError> {
    let err =
        |e: &dyn std::fmt::Display| ConfigError::new(SETTING, format!("{}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| err(&e))?;
    }
    if path.exists() {
        return read_private(path).map_err(|e| err(&e));
    }
    let secret = Secret::generate();
    // Written whole to a private temporary file, then linked into place: the secret file
    // either does not exist or is complete, even after a crash, and `hard_link` refuses to
    // replace a file another instance published first.
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    let written = create_private(&temporary).and_then(|mut file| {
        file.write_all(secret.to_base64().as_bytes()).and_then(|()| file.sync_all())
    });
    let linked = written.and_then(|()| std::fs::hard_link(&temporary, path));
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "generated a new master secret");
            Ok(secret)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read_private(path).map_err(|e| err(&e))
        }
        Err(e) => Err(err(&e)),
    }
}

/// Reads an existing secret file, refusing one that others could read: a leaked master
/// secret lets anyone mint links for any account.
fn read_private(path: &Path) -> Result<Secret, Box<dyn std::error::Error>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "readable by others (mode {:o}); run chmod 600 on it",
                mode & 0o777
            )
            .into());
        }
    }
    Ok(Secret::from_base64(&std::fs::read_to_string(path)?)?)
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(path)
}
