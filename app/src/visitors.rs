//! Who opened a link: a person's browser, an automated visitor (mail link scanners, chat
//! and social previews, crawlers, scripts), or nobody (a `HEAD` or a speculative load).
//! Owners see people's opens apart from automated ones.
//!
//! A request counts as automated when any of these holds, cheapest first:
//! - its User-Agent is missing, is a crawler by woothee's list, or names a known scanner,
//!   preview fetcher, headless browser or HTTP library;
//! - it lacks what every mainstream browser sends on a page load (`Accept-Language`, and
//!   `text/html` in `Accept`);
//! - it comes from a network mail-security vendors publish for their scanners.
//!
//! What it cannot see: a scanner that sends a browser's full headers from a network not
//! listed here counts as a person. The figure is honest, not exact (see the README).

use std::net::IpAddr;

use http::header::{ACCEPT, ACCEPT_LANGUAGE, USER_AGENT};
use http::{HeaderMap, Method};

use crate::services::opens::Visit;

/// Classifies one request for a link's page.
pub fn visit_of(method: &Method, headers: &HeaderMap, ip: Option<IpAddr>) -> Visit {
    if *method == Method::HEAD || speculative(headers) {
        return Visit::NotCounted;
    }
    let agent = header(headers, USER_AGENT.as_str()).unwrap_or_default();
    let wants_page = header(headers, ACCEPT.as_str()).is_some_and(|v| v.contains("text/html"));
    let automated = automated_agent(agent)
        || header(headers, ACCEPT_LANGUAGE.as_str()).is_none_or(|v| v.trim().is_empty())
        || !wants_page
        || ip.is_some_and(scanner_network);
    if automated { Visit::Automated } else { Visit::Person }
}

/// `Sec-Purpose`/`Purpose: prefetch` and friends: the browser may never show the page.
fn speculative(headers: &HeaderMap) -> bool {
    ["sec-purpose", "purpose", "x-purpose", "x-moz"].iter().any(|name| {
        headers.get_all(*name).iter().any(|v| {
            let v = v.to_str().unwrap_or_default().to_ascii_lowercase();
            v.contains("prefetch") || v.contains("prerender") || v.contains("preview")
        })
    })
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Substrings (lower case) of User-Agents that are not a person at a browser: mail
/// scanners, link previews, headless browsers and HTTP libraries. woothee covers search
/// and social crawlers.
const AUTOMATED_AGENTS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "preview",
    "scanner",
    "headlesschrome",
    "phantomjs",
    "facebookexternalhit",
    "whatsapp",
    "embedly",
    "iframely",
    "slack",
    "discord",
    "telegram",
    "skypeuri",
    "ms-office",
    "microsoft office",
    "safelinks",
    "proofpoint",
    "mimecast",
    "barracuda",
    "curl/",
    "wget/",
    "python-",
    "python/",
    "go-http-client",
    "java/",
    "okhttp",
    "node-fetch",
    "axios/",
    "libwww",
    "httpclient",
    "http_request",
    "postman",
    "insomnia",
    "lighthouse",
    "validator",
    "monitor",
    "zgrab",
    "nmap",
    "masscan",
    "nessus",
];

fn automated_agent(agent: &str) -> bool {
    let agent = agent.trim();
    if agent.is_empty() {
        return true;
    }
    let lower = agent.to_ascii_lowercase();
    AUTOMATED_AGENTS.iter().any(|needle| lower.contains(needle))
        || woothee::parser::Parser::new().parse(agent).is_some_and(|r| r.category == "crawler")
}

/// IPv4 networks that mail-security services publish as their own (Microsoft Exchange
/// Online Protection, which runs Safe Links; Proofpoint; Mimecast; Barracuda), and
/// Google's crawler. Not exhaustive: vendors also scan from general cloud networks.
const SCANNER_NETWORKS_V4: &[([u8; 4], u8)] = &[
    ([40, 92, 0, 0], 15),
    ([40, 107, 0, 0], 16),
    ([52, 100, 0, 0], 14),
    ([104, 47, 0, 0], 17),
    ([148, 163, 128, 0], 19),
    ([67, 231, 144, 0], 20),
    ([205, 139, 110, 0], 24),
    ([207, 211, 30, 0], 24),
    ([64, 235, 144, 0], 20),
    ([209, 222, 80, 0], 21),
    ([66, 249, 64, 0], 19),
];

fn scanner_network(ip: IpAddr) -> bool {
    let v4 = match ip {
        IpAddr::V4(v4) => v4,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4,
            None => return false,
        },
    };
    let ip = u32::from(v4);
    SCANNER_NETWORKS_V4.iter().any(|&(network, prefix)| {
        let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
        ip & mask == u32::from_be_bytes(network) & mask
    })
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    fn browser(agent: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(USER_AGENT, HeaderValue::from_static(agent));
        h.insert(ACCEPT, HeaderValue::from_static("text/html,application/xhtml+xml,*/*;q=0.8"));
        h.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("en-GB,en;q=0.9"));
        h
    }

    #[test]
    fn a_browser_page_load_is_a_person() {
        let home = Some(IpAddr::from([81, 2, 69, 160]));
        assert_eq!(visit_of(&Method::GET, &browser(CHROME), home), Visit::Person);
    }

    #[test]
    fn head_and_speculative_loads_are_not_counted() {
        assert_eq!(visit_of(&Method::HEAD, &browser(CHROME), None), Visit::NotCounted);
        for (name, value) in [("sec-purpose", "prefetch"), ("purpose", "prefetch;prerender")] {
            let mut h = browser(CHROME);
            h.insert(name, HeaderValue::from_static(value));
            assert_eq!(visit_of(&Method::GET, &h, None), Visit::NotCounted, "{name}");
        }
    }

    #[test]
    fn scanners_previews_and_scripts_are_automated() {
        for agent in [
            "",
            "curl/8.5.0",
            "python-requests/2.32",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "facebookexternalhit/1.1",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
            "Microsoft Office Word 2014",
        ] {
            assert_eq!(visit_of(&Method::GET, &browser(agent), None), Visit::Automated, "{agent}");
        }
    }

    #[test]
    fn missing_browser_headers_are_automated() {
        let mut h = browser(CHROME);
        h.remove(ACCEPT_LANGUAGE);
        assert_eq!(visit_of(&Method::GET, &h, None), Visit::Automated);
        let mut h = browser(CHROME);
        h.insert(ACCEPT, HeaderValue::from_static("*/*"));
        assert_eq!(visit_of(&Method::GET, &h, None), Visit::Automated);
    }

    #[test]
    fn published_scanner_networks_are_automated() {
        let safe_links = IpAddr::from([40, 93, 12, 7]);
        let mapped: IpAddr = "::ffff:148.163.130.1".parse().unwrap();
        assert_eq!(visit_of(&Method::GET, &browser(CHROME), Some(safe_links)), Visit::Automated);
        assert_eq!(visit_of(&Method::GET, &browser(CHROME), Some(mapped)), Visit::Automated);
        let next_door = IpAddr::from([40, 91, 255, 255]);
        assert_eq!(visit_of(&Method::GET, &browser(CHROME), Some(next_door)), Visit::Person);
    }
}
