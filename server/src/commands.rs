//! What each subcommand of `latchkey` does.

use std::io::Write as _;
use std::time::SystemTime;

use app::domain::{EmailAddress, NextPath};
use app::entities::user;
use app::services::accounts::{self, CreateError};
use app::services::reports::{self, Draft};
use app::services::{shares, sign_in};
use leptos::prelude::LeptosOptions;

use crate::cli::{Command, KeysCommand, LinkCommand, UserCommand};
use crate::config::Config;
use crate::database;
use crate::startup::{self, Application, StartupError};

/// A command's failure: one line for the operator, and the exit status that goes with it.
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    /// Bad input or configuration: the operator can fix it and try again.
    pub fn usage(message: impl std::fmt::Display) -> Self {
        Self { message: message.to_string(), code: 2 }
    }

    fn runtime(message: impl std::fmt::Display) -> Self {
        Self { message: message.to_string(), code: 1 }
    }
}

pub async fn run(command: Command, config: Config) -> Result<(), Failure> {
    match command {
        Command::Serve => serve(config).await,
        Command::User { command: UserCommand::Add { emails } } => add_users(config, &emails).await,
        Command::Link { command: LinkCommand::Login { emails, next, count } } => {
            login_links(config, &emails, next.as_deref(), count).await
        }
        Command::Link { command: LinkCommand::Report { emails, title } } => {
            report_links(config, &emails, &title, Issue::ReportLink).await
        }
        Command::Link { command: LinkCommand::Share { emails, title } } => {
            report_links(config, &emails, &title, Issue::ShareLink).await
        }
        Command::Keys { command: KeysCommand::List } => list_keys(&config),
        Command::Keys { command: KeysCommand::Generate } => {
            println!("{}", tokens::Secret::generate().to_base64());
            Ok(())
        }
    }
}

/// The key ring as this configuration loads it: `signing ID`, then `verifying ID` per
/// previous secret. Every instance must print the same lines before a rotation's next step.
fn list_keys(config: &Config) -> Result<(), Failure> {
    let ring = crate::secrets::read_key_ring(config).map_err(Failure::usage)?;
    for (n, secret) in ring.secrets().enumerate() {
        let role = if n == 0 { "signing" } else { "verifying" };
        println!("{role} {:08x}", secret.id().get());
    }
    Ok(())
}

/// The site's layout (output name, site root…). cargo-leptos passes it in `LEPTOS_*`
/// variables, at build and at run time; a binary built by plain `cargo` gets the defaults
/// of `cargo leptos build` rather than Leptos's warning about the missing variables.
fn leptos_options() -> Result<LeptosOptions, Failure> {
    if std::env::var_os("LEPTOS_OUTPUT_NAME").is_none()
        && option_env!("LEPTOS_OUTPUT_NAME").is_none()
    {
        return Ok(startup::default_leptos_options());
    }
    leptos::config::get_configuration(None)
        .map(|conf| conf.leptos_options)
        .map_err(|e| Failure::usage(format!("invalid LEPTOS_* setting: {e}")))
}

async fn serve(config: Config) -> Result<(), Failure> {
    let leptos_options = leptos_options()?;
    let app = Application::build(config, leptos_options).await.map_err(Failure::usage)?;
    if let Ok(addr) = app.local_addr() {
        tracing::info!("listening on http://{addr}");
    }
    app.run_until_stopped().await.map_err(|e| Failure::runtime(format!("server error: {e}")))
}

/// Every address, or the first that does not parse: commands check all before acting.
fn parse_emails(emails: &[String]) -> Result<Vec<EmailAddress>, Failure> {
    emails
        .iter()
        .map(|email| {
            EmailAddress::parse(email)
                .map_err(|e| Failure::usage(format!("invalid email {email:?}: {e}")))
        })
        .collect()
}

/// Creates the accounts in order; every address is checked before any is created.
async fn add_users(config: Config, emails: &[String]) -> Result<(), Failure> {
    let emails = parse_emails(emails)?;
    let db = database::connect_and_migrate(&config.database)
        .await
        .map_err(|e| Failure::usage(StartupError::Database(e)))?;
    let database_error = |e: sea_orm::DbErr| Failure::runtime(format!("database error: {e}"));
    // An address another account left by an email change that it may still undo: an
    // account made there would make that undo deactivate it instead.
    let kept_for = config.purposes.address_kept_for();
    let now = SystemTime::now();
    for email in &emails {
        let holder = accounts::find_by_email(&db.write, email).await.map_err(database_error)?;
        let holder = holder.map(|account| account.id);
        let kept = accounts::reserved(&db.write, email.as_str(), holder, kept_for, now);
        if let Some(kept) = kept.await.map_err(database_error)? {
            return Err(Failure::runtime(format!(
                "{email} is kept until {} for user {}, which changed its address from it and may \
                 still take it back (\"this wasn't me\"); nothing was created",
                humantime::format_rfc3339_seconds(kept.until),
                kept.user_id,
            )));
        }
    }
    for email in emails {
        match accounts::create(&db.write, &email).await {
            Ok(user) => println!("created user {} <{}>", user.id, user.email),
            // Someone shared with the address: the operator's word makes it an ordinary
            // account, shares and all, as the person's own first sign-in would.
            Err(CreateError::AlreadyExists(guest)) if guest.status == user::GUEST => {
                let promoted = accounts::promote_guest(&db.write, guest.id)
                    .await
                    .map_err(|e| Failure::runtime(format!("database error: {e}")))?;
                if !promoted {
                    // Its person signed in (or it was deactivated) meanwhile.
                    return Err(Failure::runtime(CreateError::AlreadyExists(guest)));
                }
                println!("made guest {} <{}> a user", guest.id, guest.email);
            }
            Err(error) => return Err(Failure::runtime(error)),
        }
    }
    Ok(())
}

/// Prints sign-in links, as django-sesame users do from a shell. Signed with the same
/// secret as the server, so run it with the server's settings.
async fn login_links(
    config: Config,
    emails: &[String],
    next: Option<&str>,
    count: u32,
) -> Result<(), Failure> {
    let emails = parse_emails(emails)?;
    let next = next
        .map(|raw| {
            NextPath::parse(raw).ok_or_else(|| {
                Failure::usage(format!(
                    "--next must be a path on this site, like /dashboard: {raw:?}"
                ))
            })
        })
        .transpose()?;
    let services = startup::services(&config).await.map_err(Failure::usage)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for email in &emails {
        for _ in 0..count {
            let link =
                sign_in::issue_link(&services.sign_in, email, next.as_ref(), SystemTime::now())
                    .await
                    .map_err(|e| Failure::runtime(format!("database error: {e}")))?;
            writeln!(out, "{link}").map_err(|e| Failure::runtime(format!("cannot print: {e}")))?;
        }
    }
    out.flush().map_err(|e| Failure::runtime(format!("cannot print: {e}")))
}

/// Which link to a new report a command prints.
#[derive(Clone, Copy)]
enum Issue {
    /// The owner's own report link, as "Email me a link" sends.
    ReportLink,
    /// A share for anyone with the link, as "Create a link to copy" makes.
    ShareLink,
}

/// Creates a report per address (and its account when missing) and prints a link to it.
async fn report_links(
    config: Config,
    emails: &[String],
    title: &str,
    issue: Issue,
) -> Result<(), Failure> {
    let emails = parse_emails(emails)?;
    let draft = Draft::parse(title, "").map_err(|e| Failure::usage(format!("--title: {e}")))?;
    let services = startup::services(&config).await.map_err(Failure::usage)?;
    let database = |e: sea_orm::DbErr| Failure::runtime(format!("database error: {e}"));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for email in &emails {
        let owner = match accounts::find_by_email(&services.db.read, email)
            .await
            .map_err(database)?
        {
            Some(owner) => owner,
            None => accounts::create(&services.db.write, email).await.map_err(Failure::runtime)?,
        };
        let now = SystemTime::now();
        let report =
            reports::create(&services.reports, owner.id, &draft, now).await.map_err(database)?;
        let link = match issue {
            Issue::ReportLink => reports::issue_link(&services.reports, &owner, report.id, now)
                .await
                .map_err(database)?
                .ok_or_else(|| Failure::runtime("the new report could not be found"))?,
            Issue::ShareLink => {
                let new = shares::NewShare::default();
                match shares::share(&services.shares, &owner, report.id, &new, now)
                    .await
                    .map_err(database)?
                {
                    shares::Shared::Link { url, .. } => url,
                    other => return Err(Failure::runtime(format!("could not share: {other:?}"))),
                }
            }
        };
        writeln!(out, "{link}").map_err(|e| Failure::runtime(format!("cannot print: {e}")))?;
    }
    out.flush().map_err(|e| Failure::runtime(format!("cannot print: {e}")))
}
