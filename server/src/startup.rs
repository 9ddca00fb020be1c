//! Builds the application from its configuration: database, key ring, router, listener.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::get;
use leptos::prelude::LeptosOptions;
use leptos_axum::{LeptosRoutes as _, generate_route_list};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::{database, headers, routes, secrets, workers};

/// The site's layout as `cargo leptos build` produces it (output name, site root), for a
/// binary started without cargo-leptos's `LEPTOS_*` variables, and for tests.
pub fn default_leptos_options() -> LeptosOptions {
    LeptosOptions::builder().output_name("latchkey").site_root("target/site").build()
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub backend: &'static str,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// Why the application could not start.
#[derive(Debug)]
pub enum StartupError {
    Config(crate::config::ConfigError),
    Database(sea_orm::DbErr),
    Bind(SocketAddr, std::io::Error),
}

impl std::fmt::Display for StartupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Config(e) => e.fmt(f),
            Self::Database(e) => write!(f, "cannot open the database (LATCHKEY_DATABASE_URL): {e}"),
            Self::Bind(addr, e) => write!(f, "cannot listen on {addr} (LATCHKEY_BIND): {e}"),
        }
    }
}

impl std::error::Error for StartupError {}

/// A built application, bound to its port but not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    db: DatabaseConnection,
}

impl Application {
    pub async fn build(
        config: Config,
        leptos_options: LeptosOptions,
    ) -> Result<Self, StartupError> {
        let key_ring = secrets::load_key_ring(&config).map_err(StartupError::Config)?;
        tracing::info!(
            key_id = format_args!("{:08x}", key_ring.current().id().get()),
            previous_keys = key_ring.secrets().count() - 1,
            "key ring loaded"
        );
        let db = database::connect_and_migrate(&config.database)
            .await
            .map_err(StartupError::Database)?;
        let state = AppState { leptos_options, db: db.clone(), backend: config.database.backend() };
        let listener =
            TcpListener::bind(config.bind).await.map_err(|e| StartupError::Bind(config.bind, e))?;
        Ok(Self { listener, router: router(state), db })
    }

    /// The bound address (tests bind port 0 and ask which port they got).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let purge = tokio::spawn(workers::purge_redeemed::run(self.db));
        let served = axum::serve(
            self.listener,
            self.router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await;
        purge.abort();
        served
    }
}

fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let shell_options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(routes::healthz))
        .leptos_routes(&state, routes, move || app::shell(shell_options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(app::shell))
        .layer(axum::middleware::from_fn(headers::set_defaults))
        .with_state(state)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
