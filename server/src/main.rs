use std::process::ExitCode;

use clap::Parser as _;
use server::cli::{Cli, Command};
use server::commands::{self, Failure};
use server::config::Config;
use server::telemetry;

// Requests allocate and free many small objects on both cores at once, where glibc's
// malloc spent a quarter of the server's time (see bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = async {
        let config = Config::try_from(cli.config).map_err(Failure::usage)?;
        telemetry::init(&config.log);
        commands::run(cli.command.unwrap_or(Command::Serve), config).await
    };
    match result.await {
        Ok(()) => ExitCode::SUCCESS,
        // One line, no backtrace: the operator needs the setting's name, not our stack.
        Err(failure) => {
            eprintln!("latchkey: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
