//! Background tasks that run beside the HTTP server, in every instance. Each is safe to run
//! concurrently on several instances: they coordinate through the database only.

pub mod jobs;
pub mod mail_delivery;
pub mod purge;
pub mod wal_checkpoint;
