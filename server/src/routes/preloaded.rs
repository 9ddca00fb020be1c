//! The link pages whose data the server loads before rendering them (`app::preloaded`):
//! what they read from the request, and their render, which hands the loaded data to the
//! page as context so that it renders at once, with nothing to wait for.

use axum::extract::{Query, Request};
use axum::http::StatusCode;
use axum::response::Response;
use leptos::prelude::{IntoView, LeptosOptions, provide_context, use_context};
use leptos_axum::ResponseOptions;
use serde::Deserialize;

use app::request::ClientIp;
use app::services::opens::Visit;

use crate::startup::{AppState, render_context};

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// The `token` query parameter of `request`, empty when missing.
pub fn token_of(request: &Request) -> String {
    let query = Query::<TokenQuery>::try_from_uri(request.uri()).ok();
    query.and_then(|q| q.0.token).unwrap_or_default()
}

/// Who sent `request`, as a link's opens count it.
pub fn visit_of(request: &Request) -> Visit {
    let ip = request.extensions().get::<ClientIp>().map(|c| c.0);
    app::visitors::visit_of(request.method(), request.headers(), ip)
}

/// Renders `document` for `request` with `data` in its context, answering with `status`
/// unless the render itself sets another (a redirect, say).
pub async fn render<T, V>(
    state: &AppState,
    request: Request,
    data: T,
    status: StatusCode,
    document: fn(LeptosOptions) -> V,
) -> Response
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let context = render_context(state.services.clone());
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            context();
            provide_context(data.clone());
            if let Some(response) = use_context::<ResponseOptions>() {
                response.set_status(status);
            }
        },
        move || document(LeptosOptions::clone(&options)),
    );
    render(request).await
}
