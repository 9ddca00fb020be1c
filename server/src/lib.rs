//! The `latchkey` server: configuration, HTTP, and start-up.

mod bad_arguments;
pub mod cli;
mod client_ip;
pub mod commands;
pub mod config;
mod csrf;
mod database;
mod headers;
mod mailer;
mod routes;
mod secrets;
pub mod startup;
pub mod telemetry;
mod workers;
