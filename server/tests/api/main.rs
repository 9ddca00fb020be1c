//! Integration tests: each spawns the real application on a free port with its own database.

mod access;
mod cli;
mod config;
mod email_change;
mod health;
mod helpers;
mod link_browsers;
mod link_pages;
mod pages;
mod personal_links;
mod proxies;
mod reports;
mod shares;
mod sign_in;
mod smtp;
