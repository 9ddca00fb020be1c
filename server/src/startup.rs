//! Builds the application from its configuration: database, key ring, router, listener.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use app::services::sessions::{self, SeaOrmSessionStore};
use app::services::{Scopes, Services, SignInSettings};
use axum::Router;
use axum::extract::FromRef;
use axum::routing::get;
use leptos::prelude::{LeptosOptions, provide_context};
use leptos_axum::{AxumRouteListing, LeptosRoutes as _, generate_route_list};
use tokio::net::TcpListener;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::client_ip::{self, ClientIpSource};
use crate::config::{Config, ConfigError};
use crate::csrf::{self, AllowedOrigin};
use crate::mailer::Mailer;
use crate::{bad_arguments, database, headers, routes, secrets, workers};

/// The site's layout as `cargo leptos build` produces it (output name, site root), for a
/// binary started without cargo-leptos's `LEPTOS_*` variables, and for tests.
pub fn default_leptos_options() -> LeptosOptions {
    LeptosOptions::builder().output_name("latchkey").site_root("target/site").build()
}

/// What every handler can reach. Cloned for every handler and middleware that takes it, so
/// each field is cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: Arc<LeptosOptions>,
    pub backend: &'static str,
    pub services: Services,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        LeptosOptions::clone(&state.leptos_options)
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

/// Opens the database and builds the services from the configuration: what both the
/// server and the admin commands run on.
pub async fn services(config: &Config) -> Result<Services, StartupError> {
    let key_ring = secrets::load_key_ring(config).map_err(StartupError::Config)?;
    tracing::info!(
        key_id = format_args!("{:08x}", key_ring.current().id().get()),
        previous_keys = key_ring.secrets().count() - 1,
        "key ring loaded"
    );
    let db =
        database::connect_and_migrate(&config.database).await.map_err(StartupError::Database)?;
    // Every process that writes keeps the log in check, the admin commands included (one
    // `latchkey link login --count` can write hundreds of thousands of rows).
    tokio::spawn(workers::wal_checkpoint::run(db.read.clone()));
    let sign_in = SignInSettings {
        base_url: config.base_url.as_str().to_owned(),
        secure_cookies: config.base_url.is_https(),
        per_email: config.sign_in.per_email,
        per_ip: config.sign_in.per_ip,
        rate_window: config.sign_in.rate_window,
        session_idle: config.sign_in.session_idle,
        session_absolute: config.sign_in.session_absolute,
        other_browser: config.sign_in.other_browser,
        code_budgets: config.sign_in.code_budgets.clone(),
    };
    let scopes = Scopes::new(&key_ring, &config.purposes);
    Ok(Services::new(db, scopes, sign_in, config.sharing.clone(), config.sign_in.codes.clone()))
}

/// A built application, bound to its port but not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    services: Services,
    sessions: SeaOrmSessionStore,
    /// `None` when this instance leaves delivery to others.
    mailer: Option<Mailer>,
    delivery: workers::mail_delivery::Delivery,
}

impl Application {
    pub async fn build(
        config: Config,
        leptos_options: LeptosOptions,
    ) -> Result<Self, StartupError> {
        let mailer = Mailer::new(&config.mail).map_err(|e| {
            StartupError::Config(ConfigError::new("LATCHKEY_SMTP_URL (--smtp-url)", e.to_string()))
        })?;
        let mailer = config.mail.deliver.then_some(mailer);
        let services = services(&config).await?;
        let sessions = SeaOrmSessionStore::new(&services.sessions);
        let state = AppState {
            leptos_options: Arc::new(leptos_options),
            backend: config.database.backend(),
            services: services.clone(),
        };
        let listener =
            TcpListener::bind(config.bind).await.map_err(|e| StartupError::Bind(config.bind, e))?;
        let router = router(state, &config, sessions.clone());
        let delivery = workers::mail_delivery::Delivery {
            concurrency: config.mail.concurrency,
            sign_in_per_minute: config.mail.sign_in_per_minute,
        };
        Ok(Self { listener, router, services, sessions, mailer, delivery })
    }

    /// The bound address (tests bind port 0 and ask which port they got).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (services, sessions) = (self.services.clone(), self.sessions);
        let purge = tokio::spawn(workers::supervised("purge", move || {
            workers::purge::run(services.clone(), sessions.clone())
        }));
        // A job being built now stays claimed until its lease runs out, then runs again.
        let services = self.services.clone();
        let jobs =
            tokio::spawn(workers::supervised("jobs", move || workers::jobs::run(services.clone())));
        let (stop_mail, stopping) = tokio::sync::watch::channel(false);
        let mail = self.mailer.map(|mailer| {
            let (services, mailer) = (self.services, std::sync::Arc::new(mailer));
            let delivery = self.delivery;
            tokio::spawn(workers::supervised("mail delivery", move || {
                let stopping = stopping.clone();
                workers::mail_delivery::run(services.clone(), mailer.clone(), delivery, stopping)
            }))
        });
        if mail.is_none() {
            tracing::info!("mail delivery is off in this instance (LATCHKEY_MAIL_DELIVERY)");
        }
        // The mail worker stops claiming as soon as the signal comes, and finishes the
        // messages being sent while the requests in flight finish too: both within the
        // usual grace period before a SIGKILL.
        let stopped = async move {
            shutdown_signal().await;
            let _ = stop_mail.send(true);
        };
        let served = axum::serve(
            self.listener,
            self.router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stopped)
        .await;
        jobs.abort();
        purge.abort();
        // A message still being sent after the drain (see `mail_delivery::run`) stays
        // claimed until its lease runs out, then another instance (or the next start)
        // sends it: nothing is lost, at worst sent twice.
        if let Some(mut mail) = mail {
            let drain = workers::mail_delivery::DRAIN + std::time::Duration::from_secs(1);
            if tokio::time::timeout(drain, &mut mail).await.is_err() {
                mail.abort();
            }
        }
        served
    }
}

/// What every render's context holds besides Leptos's own: the services, and the nonce
/// the server made for this page.
pub(crate) fn render_context(services: Services) -> impl Fn() + Clone + Send + Sync + 'static {
    move || {
        provide_context(services.clone());
        app::csp::provide_page_nonce();
    }
}

fn router(state: AppState, config: &Config, sessions: SeaOrmSessionStore) -> Router {
    // The pages whose data the server loads first have routes of their own (below).
    let routes: Vec<_> = app_routes()
        .into_iter()
        .filter(|route| !app::preloaded::PATHS.contains(&route.path()))
        .collect();
    let shell_options = LeptosOptions::clone(&state.leptos_options);
    let services = state.services.clone();
    let render_context = render_context(services.clone());
    // The same cookie as `sessions::cookie`, which signing in sends: keep them alike.
    let settings = &services.settings;
    let session_layer = SessionManagerLayer::new(sessions)
        .with_name(sessions::cookie_name(settings))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.secure_cookies)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(sessions::idle_expiry(settings)));
    let allowed_origin = AllowedOrigin(config.base_url.as_str().into());
    let client_ip_source = ClientIpSource {
        header: config.client_ip_header.clone(),
        hops: config.trusted_proxy_hops,
        local_site: config.base_url.is_loopback(),
        warned: Default::default(),
        unusable: Default::default(),
    };
    let transport = headers::Transport { https: config.base_url.is_https() };
    // Layers run outside-in from the last one added: headers on every answer, then CSRF
    // before anything is loaded, then the client address, then the session.
    Router::new()
        .route("/healthz", get(routes::healthz))
        .route("/signin/link", get(routes::sign_in_link))
        .route("/personal", get(routes::personal_link))
        .route(app::preloaded::REPORT_LINK_PATH, get(routes::report_link))
        .route(app::preloaded::SHARE_PATH, get(routes::shared_link))
        .leptos_routes_with_context(&state, routes, render_context.clone(), move || {
            app::shell(shell_options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            render_context,
            app::shell,
        ))
        .layer(axum::middleware::from_fn(bad_arguments::as_bad_request))
        .layer(session_layer)
        .layer(axum::middleware::from_fn_with_state(client_ip_source, client_ip::insert_client_ip))
        .layer(axum::middleware::from_fn_with_state(allowed_origin, csrf::reject_cross_site))
        .layer(axum::middleware::from_fn_with_state(transport, headers::set_defaults))
        .with_state(state)
}

/// The app's routes, listed once per process. Listing them renders the app with resource
/// loading switched off by a process-wide flag, so a page that another instance in this
/// process (the integration tests run many) renders meanwhile would wait forever for its
/// data (leptos-rs/leptos#4773). Once, before any instance serves, nothing can be rendering.
fn app_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
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

#[cfg(test)]
mod tests {
    use super::app_routes;

    #[test]
    fn every_preloaded_page_is_one_of_the_apps_routes() {
        let routes = app_routes();
        for path in app::preloaded::PATHS {
            assert!(routes.iter().any(|route| route.path() == path), "{path} is not a route");
        }
    }
}
