//! Logging through `tracing`, to standard error.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. The filter was validated with the configuration.
pub fn init(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // A second call (as in tests that start several apps) keeps the first subscriber.
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
