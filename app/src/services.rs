//! Domain services (server only): the one place pages' server functions and the server's
//! handlers reach the database through.

pub mod accounts;
pub mod batcher;
pub mod code_hashing;
mod context;
mod db;
pub mod link_redemption;
pub mod outbox;
pub mod session_auth;
pub mod session_store;
pub mod sign_in;
mod sign_in_finish;
pub mod sign_in_requests;
pub mod time;
pub mod writer;

pub use context::{Services, SignInSettings};
pub use db::Db;
