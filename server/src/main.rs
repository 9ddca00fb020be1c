use std::process::ExitCode;

use clap::Parser as _;
use server::cli::{Cli, Command};
use server::config::Config;
use server::startup::Application;
use server::telemetry;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::try_from(cli.config) {
        Ok(config) => config,
        Err(error) => return fail(&error),
    };
    telemetry::init(&config.log);
    // cargo-leptos passes the site's layout (output name, site root) in LEPTOS_* variables;
    // without them the defaults match `cargo leptos build`.
    let leptos_options = match leptos::config::get_configuration(None) {
        Ok(conf) => conf.leptos_options,
        Err(error) => return fail(&format!("invalid LEPTOS_* setting: {error}")),
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = match Application::build(config, leptos_options).await {
                Ok(app) => app,
                Err(error) => return fail(&error),
            };
            if let Ok(addr) = app.local_addr() {
                tracing::info!("listening on http://{addr}");
            }
            match app.run_until_stopped().await {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => fail(&format!("server error: {error}")),
            }
        }
    }
}

/// One line, no backtrace: the operator needs the setting's name, not our stack.
fn fail(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("latchkey: {error}");
    ExitCode::from(2)
}
