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
    let secret = Secret::generate();
    // `create_new` makes first-run generation race-free: if another instance wrote the
    // file first, we read its secret instead of overwriting it.
    match create_private(path) {
        Ok(mut file) => {
            file.write_all(secret.to_base64().as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| err(&e))?;
            tracing::info!(path = %path.display(), "generated a new master secret");
            Ok(secret)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path).map_err(|e| err(&e))?;
            Secret::from_base64(&text).map_err(|e| err(&e))
        }
        Err(e) => Err(err(&e)),
    }
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).create_new(true).open(path)
}
