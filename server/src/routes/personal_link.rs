//! `GET /personal?token=…`: where personal links point. Typed or opened from a bookmark
//! (`Sec-Fetch-Site: none`, which no other site can cause) it signs in at once and
//! redirects to a clean URL, so the token leaves the address bar and history; unless the
//! browser is signed in to another account, since native apps (a desktop mail client, a
//! chat app) open links with `none` too, and a link must never silently swap accounts.
//! From anywhere else (another site, a webmail, a browser that sends no fetch metadata) it moves
//! the token into a short-lived cookie and asks "Continue as …?" first, so a page cannot
//! silently sign a visitor into someone else's account. `HEAD` and speculative loads sign
//! nobody in and set no cookie.

use std::net::IpAddr;
use std::time::SystemTime;

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE, USER_AGENT};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower_sessions::Session;

use app::link_cookie::PERSONAL;
use app::request::ClientIp;
use app::services::opens::Visit;
use app::services::{activity, personal_links, sessions};

use crate::startup::AppState;

/// How long the token waits in its cookie for the "Continue" button.
const COOKIE_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(10 * 60);

#[derive(Deserialize)]
pub struct LinkQuery {
    token: Option<String>,
}

pub async fn personal_link(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    session: Session,
    client_ip: Option<Extension<ClientIp>>,
    Query(query): Query<LinkQuery>,
) -> Response {
    if app::visitors::visit_of(&method, &headers, None) == Visit::NotCounted {
        return no_store(StatusCode::NO_CONTENT.into_response());
    }
    let token = query.token.filter(|t| app::link_cookie::is_token(t));
    let secure = state.services.settings.secure_cookies;
    let continue_page = |cookie: Option<HeaderValue>| {
        let mut response =
            (StatusCode::SEE_OTHER, [(LOCATION, "/personal/continue")]).into_response();
        if let Some(cookie) = cookie {
            response.headers_mut().insert(SET_COOKIE, cookie);
        }
        no_store(response)
    };
    let Some(token) = token else {
        return continue_page(PERSONAL.clear(secure));
    };
    let typed = headers.get("sec-fetch-site").is_some_and(|site| site == "none");
    let links = &state.services.personal_links;
    let now = SystemTime::now();
    if !typed || !for_this_browser(links, &session, &token, now).await {
        return continue_page(PERSONAL.set(&token, secure, COOKIE_MAX_AGE));
    }
    let current = session.id().map(|id| id.to_string());
    let ip = client_ip.map_or(IpAddr::from([0, 0, 0, 0]), |Extension(ClientIp(ip))| ip);
    let user_agent = headers.get(USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let from = activity::Origin::new(ip, user_agent);
    match personal_links::sign_in(links, &token, &from, current.as_deref(), now).await {
        Ok(Ok(signed_in)) => {
            tracing::info!(user = signed_in.user_id, "signed in with a personal link");
            let mut response = (StatusCode::SEE_OTHER, [(LOCATION, "/dashboard")]).into_response();
            if let Some(cookie) = sessions::cookie(&signed_in.session_id, &state.services.settings)
            {
                response.headers_mut().insert(SET_COOKIE, cookie);
            }
            no_store(response)
        }
        Ok(Err(rejection)) => {
            tracing::debug!(%rejection, "personal link refused");
            continue_page(PERSONAL.clear(secure))
        }
        Err(error) => {
            tracing::error!(%error, "personal link: database error");
            let body = "Signing in is not possible right now. Try again shortly.";
            no_store((StatusCode::SERVICE_UNAVAILABLE, body).into_response())
        }
    }
}

/// Whether the browser holds no signed-in session, or one of the link's own account. A
/// link that does not verify counts as this browser's: signing in then refuses it anyway.
async fn for_this_browser(
    links: &personal_links::PersonalLinks,
    session: &Session,
    token: &str,
    now: SystemTime,
) -> bool {
    let current = match sessions::signed_in_as(session).await {
        Ok(None) => return true,
        Ok(Some(current)) => current,
        // Unknown: ask rather than risk swapping someone's account.
        Err(_) => return false,
    };
    match personal_links::check(links, token, now).await {
        Ok(Ok(preview)) => preview.user_id == current,
        _ => true,
    }
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
