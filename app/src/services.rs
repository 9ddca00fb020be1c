//! Domain services (server only): the one place pages' server functions and the server's
//! handlers reach the database through.

pub mod accounts;
