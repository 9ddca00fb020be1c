//! A real SMTP server for the tests: aiosmtpd (Python), in its own process on loopback,
//! storing what it receives in a Maildir the test reads.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SmtpServer {
    pub port: u16,
    maildir: tempfile::TempDir,
    child: Child,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port (nothing listens on it once this returns).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The Python that has aiosmtpd: the Makefile's venv, or `python3` for a developer who
/// installed it by hand.
fn python() -> String {
    match std::env::var("LATCHKEY_TEST_PYTHON") {
        Ok(python) if Path::new(&python).exists() => python,
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("LATCHKEY_TEST_PYTHON must point at a Python with aiosmtpd (run `make smtpd`)")
        }
        _ => "python3".to_owned(),
    }
}

impl SmtpServer {
    /// Starts aiosmtpd on `port` and waits until it accepts connections.
    pub fn start(port: u16) -> Self {
        let maildir = tempfile::tempdir().unwrap();
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "--nosetuid", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--class", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("Maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("aiosmtpd starts (make smtpd installs it)");
        let mut server = Self { port, maildir, child };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("aiosmtpd exited ({status}); `make smtpd` installs it");
            }
            assert!(Instant::now() < deadline, "aiosmtpd did not start listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn new_dir(&self) -> PathBuf {
        self.maildir.path().join("Maildir").join("new")
    }

    /// Every message received so far, as raw bytes.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let Ok(entries) = std::fs::read_dir(self.new_dir()) else {
            return Vec::new();
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        paths.iter().filter_map(|p| std::fs::read(p).ok()).collect()
    }

    /// Waits for the `n`th message (1-based) for up to `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<u8> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(message) = self.messages().into_iter().nth(n - 1) {
                return message;
            }
            assert!(Instant::now() < deadline, "no message {n} within {timeout:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A received sign-in email, decoded.
pub struct SignInEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub link: String,
    pub code: String,
}

impl SignInEmail {
    pub fn parse(raw: &[u8]) -> Self {
        let mail = mailparse::parse_mail(raw).expect("a valid message");
        let header = |name: &str| {
            use mailparse::MailHeaderMap as _;
            mail.headers.get_first_value(name).unwrap_or_default()
        };
        let part = |mime: &str| {
            mail.subparts
                .iter()
                .find(|p| p.ctype.mimetype == mime)
                .unwrap_or_else(|| panic!("a {mime} part"))
                .get_body()
                .unwrap()
        };
        assert_eq!(mail.ctype.mimetype, "multipart/alternative");
        let text = part("text/plain");
        let html = part("text/html");
        let link = text
            .split_whitespace()
            .find(|w| w.contains("/signin/link?token="))
            .expect("a link in the text part")
            .to_owned();
        let code: String = text
            .split("enter this code: ")
            .nth(1)
            .expect("a code in the text part")
            .chars()
            .take(7)
            .filter(char::is_ascii_digit)
            .collect();
        assert_eq!(code.len(), 6, "{text}");
        Self { to: header("To"), subject: header("Subject"), text, html, link, code }
    }

    /// The link's token.
    pub fn token(&self) -> &str {
        self.link.split("token=").nth(1).unwrap()
    }
}
