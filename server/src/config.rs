//! Settings: `LATCHKEY_*` environment variables or the matching flags, each with a default
//! that works on a laptop. Raw strings are parsed into typed values here, once, so a bad
//! value stops start-up with one line naming the setting.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use app::services::{Purposes, sign_in};
use clap::Args;
use tokens::{Purpose, purpose};

/// The raw settings, as typed by the operator. Deliberately not `Debug`: it holds secrets.
#[derive(Args, Clone)]
pub struct RawConfig {
    /// Database URL: `sqlite://PATH` or `postgres://…`.
    #[arg(long, env = "LATCHKEY_DATABASE_URL", default_value = "sqlite://var/latchkey.db")]
    pub database_url: String,

    /// The public URL of this site. Every link is built from it, never from a request's
    /// Host header.
    #[arg(long, env = "LATCHKEY_BASE_URL", default_value = "http://127.0.0.1:3000")]
    pub base_url: String,

    /// Address and port to listen on.
    #[arg(long, env = "LATCHKEY_BIND", default_value = "127.0.0.1:3000")]
    pub bind: String,

    /// Master secret (URL-safe base64, at least 32 bytes). When unset, one is generated on
    /// first run and kept in the secret file. Required with PostgreSQL, where several
    /// instances must share it. Prefer the environment: flags show in `ps`.
    #[arg(long, env = "LATCHKEY_SECRET", hide_env_values = true)]
    pub secret: Option<String>,

    /// Previous master secrets, comma-separated: their links keep working until removed.
    #[arg(long, env = "LATCHKEY_PREVIOUS_SECRETS", hide_env_values = true)]
    pub previous_secrets: Option<String>,

    /// Where the generated master secret is kept (mode 0600).
    #[arg(long, env = "LATCHKEY_SECRET_FILE", default_value = "var/secret.key")]
    pub secret_file: PathBuf,

    /// Log filter, in `tracing` EnvFilter syntax.
    #[arg(long, env = "LATCHKEY_LOG", default_value = "info")]
    pub log: String,

    /// Max-age of sign-in links (e.g. `15m`).
    #[arg(long, env = "LATCHKEY_LOGIN_MAX_AGE", default_value = "15m")]
    pub login_max_age: String,

    /// Max-age of report links (e.g. `3days`, or `none`).
    #[arg(long, env = "LATCHKEY_REPORT_MAX_AGE", default_value = "3days")]
    pub report_max_age: String,

    /// Max-age of guest sharing links (`none`: until the share expires or is revoked).
    #[arg(long, env = "LATCHKEY_SHARE_MAX_AGE", default_value = "none")]
    pub share_max_age: String,

    /// Max-age of personal bookmark links (`none`: until rotated).
    #[arg(long, env = "LATCHKEY_BOOKMARK_MAX_AGE", default_value = "none")]
    pub bookmark_max_age: String,

    /// Max-age of API tokens (`none`: until the API key is deleted).
    #[arg(long, env = "LATCHKEY_API_MAX_AGE", default_value = "none")]
    pub api_max_age: String,

    /// Max-age of WebSocket tickets.
    #[arg(long, env = "LATCHKEY_WS_MAX_AGE", default_value = "1m")]
    pub ws_max_age: String,

    /// Max-age of the confirmation link an email change sends to the new address.
    #[arg(long, env = "LATCHKEY_EMAIL_CHANGE_MAX_AGE", default_value = "1day")]
    pub email_change_max_age: String,

    /// Max-age of the "this wasn't me" link an email change sends to the old address.
    #[arg(long, env = "LATCHKEY_EMAIL_UNDO_MAX_AGE", default_value = "7days")]
    pub email_undo_max_age: String,

    /// SMTP server for outgoing mail, e.g. `smtp://127.0.0.1:2525` or
    /// `smtps://user:pass@host`. When unset, mail is written as .eml files to the mail dir.
    #[arg(long, env = "LATCHKEY_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Where .eml files go when no SMTP URL is set.
    #[arg(long, env = "LATCHKEY_MAIL_DIR", default_value = "var/mail")]
    pub mail_dir: PathBuf,

    /// The From of every message.
    #[arg(long, env = "LATCHKEY_MAIL_FROM", default_value = "Latchkey <no-reply@localhost>")]
    pub mail_from: String,

    /// Whether this instance delivers the outbox (`on`/`off`). With several instances, some
    /// may serve requests only and leave delivery to others.
    #[arg(long, env = "LATCHKEY_MAIL_DELIVERY", default_value = "on")]
    pub mail_delivery: String,

    /// Messages this instance sends at once.
    #[arg(long, env = "LATCHKEY_MAIL_CONCURRENCY", default_value = "4")]
    pub mail_concurrency: String,

    /// Sign-in emails the whole site sends per minute at most, counted across instances
    /// (to protect the sender's reputation); the rest wait, fairly ordered by network.
    #[arg(long, env = "LATCHKEY_SIGN_IN_EMAILS_PER_MINUTE", default_value = "600")]
    pub sign_in_emails_per_minute: String,

    /// Sign-in emails allowed per address per rate window.
    #[arg(long, env = "LATCHKEY_SIGN_IN_PER_EMAIL", default_value = "5")]
    pub sign_in_per_email: String,

    /// Sign-in requests allowed per client IP (IPv6: per /64) per rate window.
    #[arg(long, env = "LATCHKEY_SIGN_IN_PER_IP", default_value = "60")]
    pub sign_in_per_ip: String,

    /// The sliding window of both sign-in rate limits.
    #[arg(long, env = "LATCHKEY_SIGN_IN_RATE_WINDOW", default_value = "15m")]
    pub sign_in_rate_window: String,

    /// What a sign-in link asks for when opened in a browser other than the one that asked
    /// (the requesting browser always signs in at once): `code` (the 6-digit code from the
    /// same email, which no clicking mail scanner types), `confirm` (a "Continue" button:
    /// only for sites whose users' mail is not scanned) or `refuse`.
    #[arg(long, env = "LATCHKEY_SIGN_IN_OTHER_BROWSER", default_value = "code")]
    pub sign_in_other_browser: String,

    /// Wrong sign-in codes (typed without their link) allowed per address per 24 hours,
    /// over all its requests. Links keep working once it is spent.
    #[arg(long, env = "LATCHKEY_CODE_FAILURES_PER_ADDRESS", default_value = "20")]
    pub code_failures_per_address: String,

    /// Wrong codes allowed per IPv4 address per hour.
    #[arg(long, env = "LATCHKEY_CODE_FAILURES_PER_IPV4", default_value = "30")]
    pub code_failures_per_ipv4: String,

    /// Wrong codes allowed per IPv4 /24 per hour.
    #[arg(long, env = "LATCHKEY_CODE_FAILURES_PER_IPV4_24", default_value = "60")]
    pub code_failures_per_ipv4_24: String,

    /// Wrong codes allowed per IPv6 /64 per hour.
    #[arg(long, env = "LATCHKEY_CODE_FAILURES_PER_IPV6_64", default_value = "30")]
    pub code_failures_per_ipv6_64: String,

    /// Wrong codes allowed per IPv6 /56 per hour.
    #[arg(long, env = "LATCHKEY_CODE_FAILURES_PER_IPV6_56", default_value = "60")]
    pub code_failures_per_ipv6_56: String,

    /// Wrong codes allowed per IPv6 /48 per hour.
    #[arg(long, env = "LATCHKEY_CODE_FAILURES_PER_IPV6_48", default_value = "120")]
    pub code_failures_per_ipv6_48: String,

    /// Wrong codes allowed site-wide per minute; above it, codes typed without a link pause
    /// for everyone (links keep working) and a warning is logged.
    #[arg(long, env = "LATCHKEY_CODE_FAILURES_SITE_PER_MINUTE", default_value = "10")]
    pub code_failures_site_per_minute: String,

    /// Shares an owner may create per 24 hours (emailed or copied links alike), so that
    /// share emails cannot be used to send spam.
    #[arg(long, env = "LATCHKEY_SHARES_PER_DAY", default_value = "50")]
    pub shares_per_day: String,

    /// A session ends after this long without a request.
    #[arg(long, env = "LATCHKEY_SESSION_IDLE_TIMEOUT", default_value = "7days")]
    pub session_idle_timeout: String,

    /// A session ends this long after signing in, however active.
    #[arg(long, env = "LATCHKEY_SESSION_ABSOLUTE_TIMEOUT", default_value = "30days")]
    pub session_absolute_timeout: String,

    /// Argon2id memory for sign-in codes, in KiB (OWASP: 19456).
    #[arg(long, env = "LATCHKEY_ARGON2_MEMORY_KIB", default_value = "19456")]
    pub argon2_memory_kib: String,

    /// Argon2id passes (OWASP: 2).
    #[arg(long, env = "LATCHKEY_ARGON2_ITERATIONS", default_value = "2")]
    pub argon2_iterations: String,

    /// Argon2id lanes (OWASP: 1).
    #[arg(long, env = "LATCHKEY_ARGON2_PARALLELISM", default_value = "1")]
    pub argon2_parallelism: String,

    /// Behind a reverse proxy: the header it sets to the client's address (e.g.
    /// `X-Forwarded-For`). Unset: the peer address. Only set this when every request comes
    /// through that proxy, or clients can choose their own IP.
    #[arg(long, env = "LATCHKEY_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<String>,

    /// How many proxies in front of us append to that header: the client is the entry this
    /// many places from its right (1: the last entry, written by the one proxy).
    #[arg(long, env = "LATCHKEY_TRUSTED_PROXY_HOPS", default_value = "1")]
    pub trusted_proxy_hops: String,
}

/// A setting's value that could not be used; `Display` is the one line printed at start-up.
#[derive(Debug)]
pub struct ConfigError {
    setting: &'static str,
    message: String,
}

impl ConfigError {
    pub fn new(setting: &'static str, message: impl Into<String>) -> Self {
        Self { setting, message: message.into() }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid setting {}: {}", self.setting, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Which database, with what the server needs to know about it up front. `Debug` hides
/// the password.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite { url: String, path: PathBuf },
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let err = |m: &str| ConfigError::new("LATCHKEY_DATABASE_URL (--database-url)", m);
        if let Some(rest) = raw.strip_prefix("sqlite://") {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(err(
                    "a sqlite:// URL needs a file path, e.g. sqlite://var/latchkey.db",
                ));
            }
            // Everything would be lost at exit, sessions and spent tokens included.
            if path == ":memory:" || rest.contains("mode=memory") {
                return Err(err(
                    "an in-memory SQLite database loses everything at exit; use a file",
                ));
            }
            // `mode=rwc` creates the file on first run.
            let url = if rest.contains('?') { raw.to_owned() } else { format!("{raw}?mode=rwc") };
            Ok(Self::Sqlite { url, path: PathBuf::from(path) })
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Ok(Self::Postgres(raw.to_owned()))
        } else {
            Err(err(&format!("expected sqlite://… or postgres://…, got {:?}", redact(raw))))
        }
    }

    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite { url, .. } => url,
            Self::Postgres(url) => url,
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite { .. } => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({})", redact(self.url()))
    }
}

/// `scheme://user:password@host/…` → `scheme://…@host/…`: URLs end up in logs and errors.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://…{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// The site's public origin, e.g. `https://latchkey.example.com` (no trailing slash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let err = |m: String| ConfigError::new("LATCHKEY_BASE_URL (--base-url)", m);
        let shape = || err(format!("expected http(s)://host[:port] with no path, got {raw:?}"));
        let uri: axum::http::Uri = raw.parse().map_err(|_| shape())?;
        let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
        let authority = uri.authority().ok_or_else(shape)?;
        let host_ok = !authority.host().is_empty() && !authority.as_str().contains('@');
        // `Uri` accepts any digits as a port; a port must fit in 16 bits and not be 0.
        let after_host = authority.as_str().rsplit_once(']').map_or(authority.as_str(), |(_, r)| r);
        let port_ok = after_host
            .rsplit_once(':')
            .is_none_or(|(_, port)| port.parse::<u16>().is_ok_and(|n| n > 0));
        let rest_ok = matches!(uri.path(), "" | "/") && uri.query().is_none();
        if !(scheme_ok && host_ok && port_ok && rest_ok) {
            return Err(shape());
        }
        Ok(Self(format!("{}://{}", uri.scheme_str().unwrap_or("http"), authority.as_str())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Cookies get the `Secure` flag when the site is served over https.
    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }

    /// The site is served on this machine only (`localhost`, `127.0.0.1`, `[::1]`).
    pub fn is_loopback(&self) -> bool {
        let Ok(uri) = self.0.parse::<axum::http::Uri>() else { return false };
        let host = uri.host().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

/// The typed configuration the server runs with.
#[derive(Clone, Debug)]
pub struct Config {
    pub database: DatabaseUrl,
    pub base_url: BaseUrl,
    pub bind: SocketAddr,
    pub secret: Option<tokens::Secret>,
    pub previous_secrets: Vec<tokens::Secret>,
    pub secret_file: PathBuf,
    pub log: String,
    pub purposes: Purposes,
    pub mail: MailConfig,
    pub sign_in: SignInConfig,
    pub sharing: app::services::ShareSettings,
    pub client_ip_header: Option<axum::http::HeaderName>,
    /// Proxies appending to `client_ip_header` (at least 1).
    pub trusted_proxy_hops: usize,
}

/// Where mail goes.
#[derive(Clone)]
pub struct MailConfig {
    pub transport: MailTransport,
    pub from: lettre::message::Mailbox,
    /// Run the delivery worker in this instance.
    pub deliver: bool,
    /// Messages in flight at once in this instance.
    pub concurrency: usize,
    /// The site-wide ceiling on sign-in emails per minute.
    pub sign_in_per_minute: u32,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub enum MailTransport {
    /// The URL is kept whole (it may hold a password): never log it.
    Smtp(String),
    Files(PathBuf),
}

/// The sign-in rules that are settings.
#[derive(Clone, Debug)]
pub struct SignInConfig {
    pub per_email: u32,
    pub per_ip: u32,
    pub rate_window: Duration,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub other_browser: app::services::OtherBrowser,
    pub code_budgets: app::services::CodeBudgets,
    /// Argon2id for the emailed codes, its parameters checked at start-up.
    pub codes: app::services::sign_in::CodeHasher,
}

impl TryFrom<RawConfig> for Config {
    type Error = ConfigError;

    fn try_from(raw: RawConfig) -> Result<Self, ConfigError> {
        let secret = |setting, text: &str| {
            tokens::Secret::from_base64(text).map_err(|e| ConfigError::new(setting, e.to_string()))
        };
        let previous_secrets = raw
            .previous_secrets
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| secret("LATCHKEY_PREVIOUS_SECRETS (--previous-secrets)", s))
            .collect::<Result<_, _>>()?;
        let rules = |purpose: Purpose, setting: &'static str, text: &str| {
            let max_age = parse_max_age(text).map_err(|m| ConfigError::new(setting, m))?;
            purpose.with_max_age(max_age).map_err(|e| ConfigError::new(setting, e.to_string()))
        };
        const LOGIN_MAX_AGE: &str = "LATCHKEY_LOGIN_MAX_AGE (--login-max-age)";
        let login = rules(purpose::LOGIN, LOGIN_MAX_AGE, &raw.login_max_age)?;
        if login.max_age().is_none_or(|age| age > sign_in::MAX_LINK_AGE) {
            let hours = sign_in::MAX_LINK_AGE.as_secs() / 3600;
            let message = format!("sign-in links must expire, within {hours} hours");
            return Err(ConfigError::new(LOGIN_MAX_AGE, message));
        }
        let purposes = Purposes {
            login,
            report: rules(
                purpose::REPORT,
                "LATCHKEY_REPORT_MAX_AGE (--report-max-age)",
                &raw.report_max_age,
            )?,
            share: rules(
                purpose::SHARE,
                "LATCHKEY_SHARE_MAX_AGE (--share-max-age)",
                &raw.share_max_age,
            )?,
            bookmark: rules(
                purpose::BOOKMARK,
                "LATCHKEY_BOOKMARK_MAX_AGE (--bookmark-max-age)",
                &raw.bookmark_max_age,
            )?,
            api: rules(purpose::API, "LATCHKEY_API_MAX_AGE (--api-max-age)", &raw.api_max_age)?,
            ws: rules(purpose::WS, "LATCHKEY_WS_MAX_AGE (--ws-max-age)", &raw.ws_max_age)?,
            email_change: rules(
                purpose::EMAIL_CHANGE,
                "LATCHKEY_EMAIL_CHANGE_MAX_AGE (--email-change-max-age)",
                &raw.email_change_max_age,
            )?,
            email_undo: rules(
                purpose::EMAIL_UNDO,
                "LATCHKEY_EMAIL_UNDO_MAX_AGE (--email-undo-max-age)",
                &raw.email_undo_max_age,
            )?,
        };
        tracing_subscriber::EnvFilter::try_new(&raw.log)
            .map_err(|e| ConfigError::new("LATCHKEY_LOG (--log)", e.to_string()))?;
        let database = DatabaseUrl::parse(&raw.database_url)?;
        let sign_in = SignInConfig {
            per_email: positive(
                "LATCHKEY_SIGN_IN_PER_EMAIL (--sign-in-per-email)",
                &raw.sign_in_per_email,
            )?,
            per_ip: positive("LATCHKEY_SIGN_IN_PER_IP (--sign-in-per-ip)", &raw.sign_in_per_ip)?,
            rate_window: duration(
                "LATCHKEY_SIGN_IN_RATE_WINDOW (--sign-in-rate-window)",
                &raw.sign_in_rate_window,
            )?,
            session_idle: duration(
                "LATCHKEY_SESSION_IDLE_TIMEOUT (--session-idle-timeout)",
                &raw.session_idle_timeout,
            )?,
            session_absolute: duration(
                "LATCHKEY_SESSION_ABSOLUTE_TIMEOUT (--session-absolute-timeout)",
                &raw.session_absolute_timeout,
            )?,
            other_browser: app::services::OtherBrowser::parse(raw.sign_in_other_browser.trim())
                .ok_or_else(|| {
                    ConfigError::new(
                        "LATCHKEY_SIGN_IN_OTHER_BROWSER (--sign-in-other-browser)",
                        format!(
                            "expected code, confirm or refuse, got {:?}",
                            raw.sign_in_other_browser
                        ),
                    )
                })?,
            code_budgets: code_budgets(&raw)?,
            // Built here so a bad combination stops start-up, not the first email.
            codes: app::services::sign_in::CodeHasher::new(
                positive(
                    "LATCHKEY_ARGON2_MEMORY_KIB (--argon2-memory-kib)",
                    &raw.argon2_memory_kib,
                )?,
                positive(
                    "LATCHKEY_ARGON2_ITERATIONS (--argon2-iterations)",
                    &raw.argon2_iterations,
                )?,
                positive(
                    "LATCHKEY_ARGON2_PARALLELISM (--argon2-parallelism)",
                    &raw.argon2_parallelism,
                )?,
            )
            .map_err(|e| ConfigError::new("LATCHKEY_ARGON2_* (--argon2-*)", e.to_string()))?,
        };
        let sharing = app::services::ShareSettings {
            per_day: positive("LATCHKEY_SHARES_PER_DAY (--shares-per-day)", &raw.shares_per_day)?,
        };
        let mail = MailConfig {
            transport: match raw.smtp_url.filter(|u| !u.trim().is_empty()) {
                Some(url) => {
                    // Parsed now so a typo is reported at start-up, without echoing it.
                    lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(&url).map_err(
                        |e| {
                            ConfigError::new(
                                "LATCHKEY_SMTP_URL (--smtp-url)",
                                format!("expected smtp://host:port or smtps://user:pass@host: {e}"),
                            )
                        },
                    )?;
                    MailTransport::Smtp(url)
                }
                None => MailTransport::Files(raw.mail_dir),
            },
            from: raw.mail_from.parse().map_err(|e| {
                ConfigError::new(
                    "LATCHKEY_MAIL_FROM (--mail-from)",
                    format!("{e}: {:?}", raw.mail_from),
                )
            })?,
            deliver: match raw.mail_delivery.trim() {
                "on" => true,
                "off" => false,
                other => {
                    return Err(ConfigError::new(
                        "LATCHKEY_MAIL_DELIVERY (--mail-delivery)",
                        format!("expected on or off, got {other:?}"),
                    ));
                }
            },
            concurrency: mail_concurrency(&raw.mail_concurrency)?,
            sign_in_per_minute: positive(
                "LATCHKEY_SIGN_IN_EMAILS_PER_MINUTE (--sign-in-emails-per-minute)",
                &raw.sign_in_emails_per_minute,
            )?,
        };
        let client_ip_header = raw
            .client_ip_header
            .filter(|h| !h.trim().is_empty())
            .map(|h| {
                axum::http::HeaderName::try_from(h.trim()).map_err(|_| {
                    ConfigError::new(
                        "LATCHKEY_CLIENT_IP_HEADER (--client-ip-header)",
                        format!("not a header name: {h:?}"),
                    )
                })
            })
            .transpose()?;
        let trusted_proxy_hops = positive(
            "LATCHKEY_TRUSTED_PROXY_HOPS (--trusted-proxy-hops)",
            &raw.trusted_proxy_hops,
        )?;
        let trusted_proxy_hops = usize::try_from(trusted_proxy_hops).unwrap_or(usize::MAX);
        // Each instance would otherwise generate its own secret, and links minted by one
        // would be refused by the others.
        if matches!(database, DatabaseUrl::Postgres(_)) && raw.secret.is_none() {
            return Err(ConfigError::new(
                "LATCHKEY_SECRET (--secret)",
                "required with PostgreSQL: every instance must sign with the same secret",
            ));
        }
        Ok(Self {
            database,
            base_url: BaseUrl::parse(&raw.base_url)?,
            bind: raw.bind.parse().map_err(|_| {
                ConfigError::new(
                    "LATCHKEY_BIND (--bind)",
                    format!("expected IP:PORT, got {:?}", raw.bind),
                )
            })?,
            secret: raw
                .secret
                .as_deref()
                .map(|s| secret("LATCHKEY_SECRET (--secret)", s))
                .transpose()?,
            previous_secrets,
            secret_file: raw.secret_file,
            log: raw.log,
            purposes,
            mail,
            sign_in,
            sharing,
            client_ip_header,
            trusted_proxy_hops,
        })
    }
}

fn code_budgets(raw: &RawConfig) -> Result<app::services::CodeBudgets, ConfigError> {
    let defaults = app::services::CodeBudgets::default();
    Ok(app::services::CodeBudgets {
        per_address: positive(
            "LATCHKEY_CODE_FAILURES_PER_ADDRESS (--code-failures-per-address)",
            &raw.code_failures_per_address,
        )?,
        per_ipv4: positive(
            "LATCHKEY_CODE_FAILURES_PER_IPV4 (--code-failures-per-ipv4)",
            &raw.code_failures_per_ipv4,
        )?,
        per_ipv4_24: positive(
            "LATCHKEY_CODE_FAILURES_PER_IPV4_24 (--code-failures-per-ipv4-24)",
            &raw.code_failures_per_ipv4_24,
        )?,
        per_ipv6_64: positive(
            "LATCHKEY_CODE_FAILURES_PER_IPV6_64 (--code-failures-per-ipv6-64)",
            &raw.code_failures_per_ipv6_64,
        )?,
        per_ipv6_56: positive(
            "LATCHKEY_CODE_FAILURES_PER_IPV6_56 (--code-failures-per-ipv6-56)",
            &raw.code_failures_per_ipv6_56,
        )?,
        per_ipv6_48: positive(
            "LATCHKEY_CODE_FAILURES_PER_IPV6_48 (--code-failures-per-ipv6-48)",
            &raw.code_failures_per_ipv6_48,
        )?,
        site_per_minute: positive(
            "LATCHKEY_CODE_FAILURES_SITE_PER_MINUTE (--code-failures-site-per-minute)",
            &raw.code_failures_site_per_minute,
        )?,
        // The windows are part of what the README's arithmetic means: not settings.
        address_window: defaults.address_window,
        network_window: defaults.network_window,
    })
}

fn positive(setting: &'static str, text: &str) -> Result<u32, ConfigError> {
    text.trim().parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
        ConfigError::new(setting, format!("expected a whole number above 0, got {text:?}"))
    })
}

/// Sends in flight: each holds an SMTP connection (or a file) and a claimed message, so a
/// typo such as 4000 is refused rather than opening thousands of connections to the relay.
const MAX_MAIL_CONCURRENCY: u32 = 64;

fn mail_concurrency(text: &str) -> Result<usize, ConfigError> {
    const SETTING: &str = "LATCHKEY_MAIL_CONCURRENCY (--mail-concurrency)";
    let n = positive(SETTING, text)?;
    if n > MAX_MAIL_CONCURRENCY {
        let why = format!("at most {MAX_MAIL_CONCURRENCY} sends in flight, got {n}");
        return Err(ConfigError::new(SETTING, why));
    }
    Ok(usize::try_from(n).unwrap_or(1))
}

fn duration(setting: &'static str, text: &str) -> Result<Duration, ConfigError> {
    humantime::parse_duration(text.trim()).ok().filter(|d| d.as_secs() > 0).ok_or_else(|| {
        ConfigError::new(setting, format!("expected a duration like 15m or 7days, got {text:?}"))
    })
}

/// `none` (no max-age) or a human duration such as `15m`, `3days`, `90s`.
fn parse_max_age(text: &str) -> Result<Option<Duration>, String> {
    match text.trim() {
        "none" => Ok(None),
        other => humantime::parse_duration(other)
            .map(Some)
            .map_err(|e| format!("expected a duration like 15m or 3days, or none: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's arithmetic is done with `CodeBudgets::default()`: the flags' defaults
    /// must be those.
    #[test]
    fn code_budget_defaults_are_the_documented_ones() {
        #[derive(clap::Parser)]
        struct Flags {
            #[command(flatten)]
            raw: RawConfig,
        }
        let flags = <Flags as clap::Parser>::try_parse_from(["latchkey"]).unwrap();
        assert_eq!(code_budgets(&flags.raw).unwrap(), app::services::CodeBudgets::default());
    }

    #[test]
    fn mail_concurrency_is_bounded() {
        assert_eq!(mail_concurrency(" 4 ").unwrap(), 4);
        assert_eq!(mail_concurrency("64").unwrap(), 64);
        for bad in ["0", "65", "4000", "four"] {
            assert!(mail_concurrency(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn database_urls() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://var/latchkey.db").unwrap(),
            DatabaseUrl::Sqlite {
                url: "sqlite://var/latchkey.db?mode=rwc".into(),
                path: "var/latchkey.db".into()
            }
        );
        assert_eq!(DatabaseUrl::parse("postgres://u@h/db").unwrap().backend(), "postgres");
        assert!(
            DatabaseUrl::parse("mysql://x")
                .unwrap_err()
                .to_string()
                .contains("LATCHKEY_DATABASE_URL")
        );
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("sqlite://:memory:").is_err());
        assert!(DatabaseUrl::parse("sqlite://x.db?mode=memory").is_err());
        let typo = DatabaseUrl::parse("postgress://u:hunter2@h/db").unwrap_err().to_string();
        assert!(!typo.contains("hunter2"), "{typo}");
        let debug = format!("{:?}", DatabaseUrl::parse("postgres://u:hunter2@h/db").unwrap());
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn base_urls() {
        assert_eq!(BaseUrl::parse("https://example.com/").unwrap().as_str(), "https://example.com");
        assert!(BaseUrl::parse("https://example.com").unwrap().is_https());
        assert!(!BaseUrl::parse("http://127.0.0.1:3000").unwrap().is_https());
        for bad in [
            "example.com",
            "ftp://x",
            "https://",
            "https://x/path",
            "https://a b",
            "https://:",
            "http://a:b:c",
            "http://[",
            "https://x:99999",
            "https://x:0",
            "https://user:pw@x",
            "https://x?next=/",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn max_ages() {
        assert_eq!(parse_max_age("15m"), Ok(Some(Duration::from_secs(900))));
        assert_eq!(parse_max_age("none"), Ok(None));
        assert!(parse_max_age("soon").is_err());
    }
}
