//! The command line of the `latchkey` binary.

use clap::{Parser, Subcommand};

use crate::config::RawConfig;

/// Passwordless sign-in by email link.
#[derive(Parser)]
#[command(name = "latchkey", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub config: RawConfig,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web application (the default).
    Serve,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Generate links offline, from a shell.
    Link {
        #[command(subcommand)]
        command: LinkCommand,
    },
    /// Master secrets: what this configuration signs and verifies with, and new ones (see
    /// the README on rotating them across several instances).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Print the id of the secret that signs, then of each previous one that still
    /// verifies: ids only, never secrets, to compare across instances.
    List,
    /// Print a new random secret (URL-safe base64), to add as a previous secret on every
    /// instance and then promote.
    Generate,
}

#[derive(Subcommand, Debug)]
pub enum LinkCommand {
    /// Print a sign-in link for EMAIL (single-use, expiring like an emailed one). The
    /// account is created when the link is used, if it does not exist yet.
    Login {
        /// The address to sign in; repeat the flag for several (links in that order).
        #[arg(long = "email", value_name = "EMAIL", required = true)]
        emails: Vec<String>,
        /// Same-origin path to land on after signing in.
        #[arg(long)]
        next: Option<String>,
        /// How many links to print per address, one per line (for load tests).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        count: u32,
    },
    /// Create a report for each EMAIL's account (created if missing) and print a link to
    /// it, as "Email me a link" would send (for load tests and scripts).
    Report {
        /// The report's owner; repeat the flag for several (links in that order).
        #[arg(long = "email", value_name = "EMAIL", required = true)]
        emails: Vec<String>,
        /// The report's title.
        #[arg(long, default_value = "Report")]
        title: String,
    },
    /// Create a report for each EMAIL's account (created if missing), share it as a link to
    /// copy ("anyone with the link") and print that link (for load tests and scripts).
    Share {
        /// The report's owner; repeat the flag for several (links in that order).
        #[arg(long = "email", value_name = "EMAIL", required = true)]
        emails: Vec<String>,
        /// The report's title.
        #[arg(long, default_value = "Report")]
        title: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account for each EMAIL (normalised: trimmed and lower-cased).
    Add {
        #[arg(value_name = "EMAIL", required = true)]
        emails: Vec<String>,
    },
}
