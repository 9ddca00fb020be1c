//! Rendering a page whose data the handler loaded first (`app::preloaded`): the page reads
//! it from the render's context and renders at once, with nothing to wait for.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use leptos::prelude::{LeptosOptions, provide_context};

use crate::startup::{AppState, render_context};

/// Renders the app for `request` with `data` in its context, answering with `status`.
pub async fn render<T>(state: &AppState, request: Request, data: T, status: StatusCode) -> Response
where
    T: Clone + Send + Sync + 'static,
{
    let context = render_context(state.services.clone());
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            context();
            provide_context(data.clone());
        },
        move || app::shell(LeptosOptions::clone(&options)),
    );
    let mut response = render(request).await;
    *response.status_mut() = status;
    response
}
