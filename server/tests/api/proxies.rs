//! The client's address behind proxies: the entry our own proxies wrote, never what the
//! client put before it.

use crate::helpers::spawn_app_with;
use crate::sign_in::signed_in;

/// The address the Access page shows for this browser's session, after a request that
/// carried `forwarded`.
async fn seen_as(args: &[&str], forwarded: &str) -> String {
    let app = spawn_app_with(args).await;
    let browser = signed_in(&app, "owner@example.com").await;
    // The first request after signing in keeps where it came from; the next shows it.
    let first = browser.get(app.url("/dashboard")).header("x-forwarded-for", forwarded);
    first.send().await.unwrap();
    let page = browser.get(app.url("/access")).send().await.unwrap().text().await.unwrap();
    for candidate in ["198.51.100.7", "203.0.113.9", "6.6.6.6", "127.0.0.1"] {
        if page.contains(&format!(", {candidate}")) {
            return candidate.to_owned();
        }
    }
    panic!("no address on the Access page: {page}")
}

#[tokio::test]
async fn the_client_is_the_entry_our_proxies_wrote() {
    let header = "--client-ip-header=x-forwarded-for";
    // One proxy: the last entry. A client's own entries to the left are ignored.
    assert_eq!(seen_as(&[header], "6.6.6.6, 198.51.100.7").await, "198.51.100.7");
    // Two proxies: the entry before the last, with its port stripped.
    let two = [header, "--trusted-proxy-hops=2"];
    assert_eq!(seen_as(&two, "6.6.6.6, 198.51.100.7:4711, 203.0.113.9").await, "198.51.100.7");
    // An entry that is not an address falls back to the peer.
    assert_eq!(seen_as(&[header], "unknown").await, "127.0.0.1");
    // No header configured: the peer, whatever the client claims.
    assert_eq!(seen_as(&[], "6.6.6.6").await, "127.0.0.1");
}
