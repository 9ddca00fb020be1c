//! `GET /signin/link?token=…`: where emailed links point. It spends nothing (mail scanners
//! open links): it moves the token into a short-lived cookie and redirects to the
//! "Continue as …" page, so the token leaves the address bar and history at once.

use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::startup::AppState;

#[derive(Deserialize)]
pub struct LinkQuery {
    token: Option<String>,
}

pub async fn sign_in_link(
    State(state): State<AppState>,
    Query(query): Query<LinkQuery>,
) -> Response {
    let token = query.token.filter(|t| app::link_cookie::is_token(t));
    let settings = &state.services.settings;
    let max_age = state.services.scopes.login.purpose().max_age().unwrap_or_default();
    let mut response = (StatusCode::SEE_OTHER, [(LOCATION, "/signin/continue")]).into_response();
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Without a token, an old cookie must not make a stale link look current.
    let cookie = match token {
        Some(token) => app::link_cookie::SIGN_IN.set(&token, settings.secure_cookies, max_age),
        None => app::link_cookie::SIGN_IN.clear(settings.secure_cookies),
    };
    if let Some(cookie) = cookie {
        headers.insert(SET_COOKIE, cookie);
    }
    response
}
