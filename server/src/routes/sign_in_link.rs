//! `GET /signin/link?token=…`: where emailed links point. In the browser that asked for the
//! link (it holds the request's cookie, which nobody else has: not a mail scanner, not
//! someone the email was forwarded to) it signs in at once and redirects to where the
//! person was going, so the token leaves the address bar. Anywhere else it spends nothing:
//! it moves the token into a short-lived cookie and redirects to the link's page, which
//! asks for what the site's `OtherBrowser` setting says. `HEAD` and speculative loads sign
//! nobody in, spend nothing and set no cookie.

use std::net::IpAddr;
use std::time::SystemTime;

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE, USER_AGENT};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower_sessions::Session;

use app::link_cookie::SIGN_IN;
use app::request::ClientIp;
use app::services::opens::Visit;
use app::services::sign_in::{self, Proof};
use app::services::{activity, sessions};

use crate::startup::AppState;

#[derive(Deserialize)]
pub struct LinkQuery {
    token: Option<String>,
}

pub async fn sign_in_link(
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
    let services = &state.services;
    let secure = services.settings.secure_cookies;
    let Some(token) = query.token.filter(|t| app::link_cookie::is_token(t)) else {
        // Without a token, an old cookie must not make a stale link look current.
        return continue_page(SIGN_IN.clear(secure));
    };
    let max_age = app::services::sign_in::login_max_age(&services.scopes);
    let to_continue_page = || continue_page(SIGN_IN.set(&token, secure, max_age));
    let Some(browser) = app::asking_browser::in_headers(&headers, secure) else {
        return to_continue_page();
    };
    let now = SystemTime::now();
    let current = session.id().map(|id| id.to_string());
    // Only the browser's own cookie: no click, no code. Anything else is the page's to ask.
    let proof = Proof { browser: Some(&browser), ..Proof::default() };
    let ip = client_ip.map_or(IpAddr::from([0, 0, 0, 0]), |Extension(ClientIp(ip))| ip);
    let user_agent = headers.get(USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let from = activity::Origin::new(ip, user_agent);
    let current = current.as_deref();
    match sign_in::redeem_link(&services.sign_in, &token, proof, from, current, now).await {
        Ok(Ok(signed_in)) => {
            tracing::info!(
                user = signed_in.user_id,
                "signed in with a link, in the browser that asked"
            );
            let mut response =
                (StatusCode::SEE_OTHER, [(LOCATION, signed_in.next.as_str())]).into_response();
            let cookies = [
                sessions::cookie(&signed_in.session_id, &services.settings),
                SIGN_IN.clear(secure),
            ];
            for cookie in cookies.into_iter().flatten() {
                response.headers_mut().append(SET_COOKIE, cookie);
            }
            no_store(response)
        }
        Ok(Err(refusal)) => {
            tracing::debug!(?refusal, "sign-in link not redeemed on opening");
            to_continue_page()
        }
        Err(error) => {
            tracing::error!(%error, "sign-in link: database error");
            let body = "Signing in is not possible right now. Try again shortly.";
            no_store((StatusCode::SERVICE_UNAVAILABLE, body).into_response())
        }
    }
}

fn continue_page(cookie: Option<HeaderValue>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(LOCATION, "/signin/continue")]).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().insert(SET_COOKIE, cookie);
    }
    no_store(response)
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
