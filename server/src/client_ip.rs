//! Decides each request's client address once, for rate limits and the sign-in email.
//!
//! Behind proxies, the configured header (`X-Forwarded-For`) is a list each proxy appends
//! the address it saw to. Only the entries our own proxies wrote can be trusted: with `hops`
//! proxies in front of us, the client is the entry `hops` places from the right. Anything
//! left of it is the client's own say-so.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use app::once_a_minute::OnceAMinute;
use app::request::ClientIp;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::Response;

/// Where the client's address comes from, as the operator configured it.
#[derive(Clone)]
pub struct ClientIpSource {
    /// The proxies' header, if any.
    pub header: Option<HeaderName>,
    /// How many proxies in front of us append to it (at least 1).
    pub hops: usize,
    /// The base URL's host is on loopback: a private peer is then expected.
    pub local_site: bool,
    /// The "behind a proxy but no header" warning is logged once.
    pub warned: Arc<AtomicBool>,
    /// Requests whose header was unusable: each is logged at debug level, and a warning
    /// with their number at most once a minute.
    pub unusable: Arc<OnceAMinute>,
}

pub async fn insert_client_ip(
    State(source): State<ClientIpSource>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
    let client = match &source.header {
        Some(name) => match forwarded_client(request.headers(), name, source.hops) {
            Ok(client) => client,
            Err(entry) => {
                tracing::debug!(header = %name, entry, %peer, "client address header unusable; using the peer address");
                if let Some(requests) = source.unusable.occurred(SystemTime::now()) {
                    tracing::warn!(header = %name, entry, %peer, requests, "client address header unusable; using the peer address (requests: how many since the last such warning)");
                }
                peer
            }
        },
        None => {
            if !source.local_site
                && is_private(peer)
                && !source.warned.swap(true, Ordering::Relaxed)
            {
                tracing::warn!(%peer, "requests come from a private or loopback address, as from a proxy, but LATCHKEY_CLIENT_IP_HEADER is not set: every client shares that address's rate limits");
            }
            peer
        }
    };
    request.extensions_mut().insert(ClientIp(client));
    next.run(request).await
}

/// The entry `hops` places from the right of every `name` header (in order, as one list),
/// port stripped. `Err` with what was found when that entry is missing or not an address.
fn forwarded_client(headers: &HeaderMap, name: &HeaderName, hops: usize) -> Result<IpAddr, String> {
    let mut entries: Vec<&str> = Vec::new();
    for value in headers.get_all(name) {
        let value = value.to_str().map_err(|_| "a value that is not text".to_owned())?;
        entries.extend(value.split(',').map(str::trim));
    }
    let index = entries.len().checked_sub(hops.max(1)).ok_or_else(|| {
        format!("{} entries, fewer than the {hops} trusted proxies", entries.len())
    })?;
    let entry = entries[index];
    parse_entry(entry).ok_or_else(|| format!("{entry:?}"))
}

/// `192.0.2.7`, `192.0.2.7:1234`, `2001:db8::1` or `[2001:db8::1]:1234`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse() {
        return Some(ip);
    }
    if let Ok(with_port) = entry.parse::<SocketAddr>() {
        return Some(with_port.ip());
    }
    entry.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')).and_then(|ip| ip.parse().ok())
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_loopback() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
                || v6.to_ipv4_mapped().is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", v.parse().unwrap());
        }
        headers
    }

    fn client(values: &[&'static str], hops: usize) -> Result<IpAddr, String> {
        forwarded_client(&xff(values), &HeaderName::from_static("x-forwarded-for"), hops)
    }

    #[test]
    fn the_entry_our_proxies_wrote_is_the_client() {
        let ip = |s: &str| -> IpAddr { s.parse().unwrap() };
        // One proxy: the last entry; what the client sent before it is ignored.
        assert_eq!(client(&["6.6.6.6, 192.0.2.7"], 1), Ok(ip("192.0.2.7")));
        // Two proxies (a CDN, then ours): one from the right, across repeated headers too.
        assert_eq!(client(&["6.6.6.6, 192.0.2.7", "203.0.113.9"], 2), Ok(ip("192.0.2.7")));
        assert_eq!(client(&["192.0.2.7:4711"], 1), Ok(ip("192.0.2.7")));
        assert_eq!(client(&["[2001:db8::1]:443"], 1), Ok(ip("2001:db8::1")));
        assert_eq!(client(&["2001:db8::1"], 1), Ok(ip("2001:db8::1")));
        assert!(client(&["192.0.2.7"], 2).is_err(), "fewer entries than proxies");
        assert!(client(&["unknown"], 1).is_err());
        assert!(client(&[], 1).is_err());
    }

    #[test]
    fn private_peers_are_told_apart() {
        for private in ["10.1.2.3", "127.0.0.1", "192.168.1.1", "::1", "fd00::1", "::ffff:10.0.0.1"]
        {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        assert!(!is_private("192.0.2.7".parse().unwrap()));
        assert!(!is_private("2001:db8::1".parse().unwrap()));
    }
}
