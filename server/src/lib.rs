//! The `latchkey` server: configuration, HTTP, and start-up.

pub mod cli;
pub mod commands;
pub mod config;
mod database;
mod headers;
mod routes;
mod secrets;
pub mod startup;
pub mod telemetry;
mod workers;
