//! Handing rendered messages to a transport: SMTP, or .eml files for development.

use std::path::PathBuf;
use std::time::Duration;

use app::mail::Rendered;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use crate::config::{MailConfig, MailTransport};

/// An SMTP exchange that takes longer than this is abandoned and retried later.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

/// Why a message was not delivered.
#[derive(Debug)]
pub enum SendError {
    /// Retrying cannot help (e.g. the recipient is not a deliverable address).
    Permanent(String),
    /// The transport failed; try again later.
    Transient(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Permanent(e) | Self::Transient(e) => f.write_str(e),
        }
    }
}

impl Mailer {
    pub fn new(config: &MailConfig) -> Result<Self, SendError> {
        let transport = match &config.transport {
            MailTransport::Smtp(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| SendError::Permanent(e.to_string()))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build(),
            ),
            MailTransport::Files(dir) => Transport::Files(dir.clone()),
        };
        Ok(Self { from: config.from.clone(), transport })
    }

    /// Where mail goes, for the start-up log (no credentials).
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "SMTP (LATCHKEY_SMTP_URL)".to_owned(),
            Transport::Files(dir) => format!(".eml files in {}", dir.display()),
        }
    }

    /// Delivers `message`; `id` names the file when writing files.
    pub async fn send(&self, message: &Rendered, id: i64) -> Result<(), SendError> {
        let to: Mailbox = message
            .to
            .parse()
            .map_err(|e| SendError::Permanent(format!("undeliverable address: {e}")))?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&message.subject)
            .multipart(MultiPart::alternative_plain_html(
                message.text.clone(),
                message.html.clone(),
            ))
            .map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(email).await.map_err(|e| {
                    if e.is_permanent() {
                        SendError::Permanent(e.to_string())
                    } else {
                        SendError::Transient(e.to_string())
                    }
                })?;
            }
            Transport::Files(dir) => {
                let path = write_eml(dir, id, &email.formatted()).await.map_err(|e| {
                    SendError::Transient(format!("cannot write to {}: {e}", dir.display()))
                })?;
                tracing::info!(file = %path.display(), "email written");
            }
        }
        Ok(())
    }
}

/// Writes atomically (a temporary name, then a rename), so a reader never sees half a file
/// and a crash leaves no truncated message behind.
async fn write_eml(dir: &std::path::Path, id: i64, bytes: &[u8]) -> std::io::Result<PathBuf> {
    tokio::fs::create_dir_all(dir).await?;
    let path = dir.join(format!("{id:08}.eml"));
    let partial = dir.join(format!(".{id:08}.eml.partial"));
    tokio::fs::write(&partial, bytes).await?;
    tokio::fs::rename(&partial, &path).await?;
    Ok(path)
}
