//! Decides each request's client address once, for rate limits and the sign-in email.

use std::net::{IpAddr, SocketAddr};

use app::request::ClientIp;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderName;
use axum::middleware::Next;
use axum::response::Response;

/// The proxy header to trust, if the operator configured one.
#[derive(Clone)]
pub struct ClientIpSource(pub Option<HeaderName>);

pub async fn insert_client_ip(
    State(source): State<ClientIpSource>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
    let forwarded = source.0.as_ref().and_then(|name| {
        // The last entry is the one our proxy added; earlier ones are the client's say-so.
        let value = request.headers().get_all(name).iter().next_back()?.to_str().ok()?;
        value.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
    });
    request.extensions_mut().insert(ClientIp(forwarded.unwrap_or(peer)));
    next.run(request).await
}
