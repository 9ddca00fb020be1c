//! `GET /shared?token=…`: a report someone shared, opened in this browser (see
//! `app::preloaded::SharedPage` for what it shows, and when with which status).

use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::response::Response;

use app::preloaded::load_share;

use super::preloaded;
use crate::startup::AppState;

pub async fn shared_link(State(state): State<AppState>, request: Request) -> Response {
    let token = preloaded::token_of(&request);
    let services = &state.services;
    let page = load_share(
        &services.shares,
        &token,
        request.headers(),
        services.settings.secure_cookies,
        preloaded::visit_of(&request),
        SystemTime::now(),
    )
    .await;
    let status = page.status();
    preloaded::render(&state, request, page, status).await
}
