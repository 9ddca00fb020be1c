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
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account for EMAIL (normalised: trimmed and lower-cased).
    Add { email: String },
}
