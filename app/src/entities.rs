//! SeaORM entities: one module per table (server only).

pub mod user;
