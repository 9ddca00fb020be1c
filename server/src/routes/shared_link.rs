//! `GET /shared?token=…`: a report someone shared, opened in this browser (see
//! `app::preloaded::SharedPage` for what it shows, and when with which status).

use std::time::SystemTime;

use axum::extract::{Query, Request, State};
use axum::response::Response;

use app::preloaded::{ShareQuery, load_share};

use super::preloaded;
use crate::startup::AppState;

pub async fn shared_link(State(state): State<AppState>, request: Request) -> Response {
    // A query that does not parse as a whole (a repeated `code`, say) keeps its token.
    let query = Query::<ShareQuery>::try_from_uri(request.uri()).map_or_else(
        |_| ShareQuery { token: preloaded::token_of(&request), ..ShareQuery::default() },
        |q| q.0,
    );
    let services = &state.services;
    let page = load_share(
        &services.shares,
        query,
        request.headers(),
        services.settings.secure_cookies,
        preloaded::visit_of(&request),
        SystemTime::now(),
    )
    .await;
    let status = page.status();
    preloaded::render(&state, request, page, status, app::preloaded::share_document).await
}
