//! What server functions read from the request they serve (server only).

use std::net::IpAddr;

use http::header::{COOKIE, USER_AGENT};
use leptos::prelude::*;
use tower_sessions::Session;

use crate::services::Services;
use crate::services::sign_in::SignedIn;

/// The client's address, as the server decided it (the peer, or a trusted proxy's header).
/// The server inserts it into every request's extensions.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

/// The application's services, provided by the server to every render and server function.
pub fn services() -> Result<Services, ServerFnError> {
    use_context::<Services>().ok_or_else(|| internal("services missing from the context"))
}

/// The browser's session (from the session layer).
pub async fn session() -> Result<Session, ServerFnError> {
    leptos_axum::extract::<Session>().await.map_err(internal)
}

/// The id of the session the browser presented, for signing in to replace. Only the id:
/// loading the session here would make the session layer send its own cookie after the
/// new session's (a removal for a stale id, the old id for a live one).
pub async fn current_session_id() -> Result<Option<String>, ServerFnError> {
    Ok(session().await?.id().map(|id| id.to_string()))
}

/// The signed-in account, if the browser's session has one that is still valid.
pub async fn signed_in_user() -> Result<Option<crate::entities::user::Model>, ServerFnError> {
    let services = services()?;
    let session = session().await?;
    let (ip, user_agent) = origin();
    let user_agent = user_agent.chars().take(300).collect();
    let seen_from = crate::services::sessions::SeenFrom { ip: ip.to_string(), user_agent };
    crate::services::sessions::current_user(
        &services.sessions,
        &session,
        Some(seen_from),
        std::time::SystemTime::now(),
    )
    .await
    .map_err(internal)
}

/// Sets the response's status, for a page rendered on the server. A server function called
/// by the hydrated page keeps its 200: the browser's client treats any error status as a
/// failed call, so the page would show "something went wrong" instead of its answer.
pub fn set_status(status: http::StatusCode) {
    let api_call = with_request(|parts| parts.uri.path().starts_with("/api/")).unwrap_or(false);
    if api_call {
        return;
    }
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
}

/// Records `event` in the account's security activity, as coming from this request.
pub async fn record_activity(
    services: &Services,
    user_id: i64,
    event: crate::services::activity::Event,
) {
    let now = std::time::SystemTime::now();
    crate::services::activity::record(&services.db, user_id, &event, &activity_origin(), now).await;
}

/// Where the request came from, as the security activity records it.
pub fn activity_origin() -> crate::services::activity::Origin {
    let (ip, user_agent) = origin();
    crate::services::activity::Origin::new(ip, &user_agent)
}

/// Where the request came from: client address and User-Agent.
pub fn origin() -> (IpAddr, String) {
    with_request(|parts| {
        let ip = parts.extensions.get::<ClientIp>().map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0);
        let agent = parts.headers.get(USER_AGENT).and_then(|v| v.to_str().ok());
        (ip, agent.unwrap_or_default().to_owned())
    })
    .unwrap_or_else(|| (IpAddr::from([0, 0, 0, 0]), String::new()))
}

/// The value of cookie `name` on the request, if any.
pub fn cookie(name: &str) -> Option<String> {
    with_request(|parts| cookie_in(&parts.headers, name)).flatten()
}

/// Reads the request's parts in place: `use_context` would clone them (every header and
/// extension) on each call. `read` runs under the reactive owner's lock, so it must not
/// provide or use context itself.
pub fn with_request<T>(read: impl FnOnce(&http::request::Parts) -> T) -> Option<T> {
    with_context::<http::request::Parts, _>(read)
}

/// The value of cookie `name` in `headers`, if any.
pub fn cookie_in(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(tower_sessions::cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// Adds a `Set-Cookie` to the response.
pub fn send_cookie(cookie: Option<http::HeaderValue>) {
    if let (Some(response), Some(cookie)) = (use_context::<leptos_axum::ResponseOptions>(), cookie)
    {
        response.append_header(http::header::SET_COOKIE, cookie);
    }
}

/// Gives the browser the session that signing in just started.
pub fn send_session_cookie(signed_in: &SignedIn, services: &Services) {
    send_cookie(crate::services::sessions::cookie(&signed_in.session_id, &services.settings));
}

/// Redirects the browser: a 302 for a plain form post, a client-side navigation otherwise.
pub fn redirect(path: &str) {
    leptos_axum::redirect(path);
}

/// An error whose detail goes to the log, not to the browser.
pub fn internal(error: impl std::fmt::Display) -> ServerFnError {
    tracing::error!(%error, "server function failed");
    ServerFnError::new("Something went wrong on our side. Please try again.")
}
