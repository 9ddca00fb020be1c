//! Signing in by email through the real server, with a real SMTP server receiving the mail.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};

use crate::helpers::{TestApp, spawn_app_with};
use crate::smtp::{SignInEmail, SmtpServer, free_port};

pub const MAIL_WAIT: Duration = Duration::from_secs(20);
pub const BASE_URL: &str = "http://127.0.0.1:3000";

/// An app whose mail goes to a fresh aiosmtpd.
pub async fn app_with_smtp(extra: &[&str]) -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start(free_port());
    let mut flags = vec![format!("--smtp-url={}", smtp.url())];
    flags.extend(extra.iter().map(|s| (*s).to_owned()));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    (spawn_app_with(&flags).await, smtp)
}

/// Posts the email form as a browser without JavaScript; returns the redirect target.
pub async fn ask(
    app: &TestApp,
    browser: &reqwest::Client,
    email: &str,
    next: Option<&str>,
) -> String {
    let mut form = vec![("email", email)];
    form.extend(next.map(|n| ("next", n)));
    let response = browser.post(app.url("/api/sign-in")).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    location(&response)
}

/// Presses "Continue" for `token` in `browser`.
pub async fn redeem(app: &TestApp, browser: &reqwest::Client, token: &str) -> reqwest::Response {
    browser.post(app.url("/api/sign-in/link")).form(&[("token", token)]).send().await.unwrap()
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

pub fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response.headers().get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

/// The link as the test server can open it (links name the configured base URL).
pub fn local(app: &TestApp, link: &str) -> String {
    link.replacen(BASE_URL, &app.address, 1)
}

pub async fn page(browser: &reqwest::Client, url: &str) -> (StatusCode, String) {
    let response = browser.get(url).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_emailed_link_signs_in_once() {
    let (app, smtp) = app_with_smtp(&[]).await;
    let browser = app.browser();

    // A forged Host header changes nothing about the link.
    let response = browser
        .post(app.url("/api/sign-in"))
        .header("host", "evil.example")
        .form(&[("email", "New.Person@Example.com"), ("next", "/dashboard?tab=links")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    // The asking browser gets the cookie that binds the request to it.
    let bound = set_cookies(&response).join("\n");
    assert!(bound.starts_with("latchkey_asked=") && bound.contains("HttpOnly"), "{bound}");
    assert!(bound.contains("SameSite=Lax") && bound.contains("Path=/"), "{bound}");
    let check = location(&response);
    assert!(check.starts_with("/signin/check?email=New.Person%40Example.com&r="), "{check}");
    let (status, body) = page(&browser, &app.url(&check)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Check your email") && body.contains("New.Person@Example.com"));

    let email = SignInEmail::parse(&smtp.wait_for(1, MAIL_WAIT).await);
    assert_eq!(email.to, "new.person@example.com");
    assert!(email.link.starts_with(&format!("{BASE_URL}/signin/link?token=")), "{}", email.link);
    for part in [&email.text, &email.html] {
        assert!(part.contains("15 minutes"), "{part}");
        assert!(part.contains("Firefox on Linux") && part.contains("127.0.0.1"), "{part}");
    }
    assert!(email.html.contains(&email.link.replace('&', "&amp;")));
    assert!(!email.subject.contains(&email.code));

    // A HEAD or a speculative load (as scanners and browsers make) spends nothing, signs
    // nobody in and sets no cookie, however often.
    for request in [
        app.client.head(local(&app, &email.link)),
        browser.head(local(&app, &email.link)),
        browser.get(local(&app, &email.link)).header("sec-purpose", "prefetch"),
        browser.get(local(&app, &email.link)).header("purpose", "prefetch"),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert!(set_cookies(&response).is_empty());
    }
    // Not signed in yet: the dashboard sends visitors to the sign-in page.
    let dashboard = browser.get(app.url("/dashboard")).send().await.unwrap();
    assert!(dashboard.status().is_redirection(), "{}", dashboard.status());
    assert_eq!(location(&dashboard), "/signin?next=/dashboard");

    // Opened in the browser that asked, it signs in at once, and the token leaves the
    // address bar by the redirect.
    let opened = browser.get(local(&app, &email.link)).send().await.unwrap();
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&opened), "/dashboard?tab=links");
    assert_eq!(opened.headers()[CACHE_CONTROL], "no-store");
    let cookies = set_cookies(&opened).join("\n");
    assert!(cookies.contains("latchkey_session="), "{cookies}");
    assert!(cookies.contains("HttpOnly") && cookies.contains("SameSite=Lax"), "{cookies}");
    assert!(!cookies.contains("Secure"), "http base URL: {cookies}");

    // Used: opened again (here or anywhere), or posted, it is refused, and its page says so
    // and offers a new one.
    let again = app.browser();
    let refused = redeem(&app, &again, email.token()).await;
    assert_eq!(location(&refused), "/signin/continue");
    assert!(!set_cookies(&refused).join("").contains("latchkey_session="));
    let reopened = browser.get(local(&app, &email.link)).send().await.unwrap();
    assert_eq!(location(&reopened), "/signin/continue");
    again.get(local(&app, &email.link)).send().await.unwrap();
    let (status, body) = page(&again, &app.url("/signin/continue")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("This link no longer works") && body.contains("Email address"), "{body}");
    assert!(body.contains("Send me a new link"), "{body}");
    // The reason is for the log only.
    assert!(!body.contains("already used") && !body.contains("AlreadyUsed"));
}

#[tokio::test]
async fn the_code_signs_in_the_browser_that_typed_it() {
    let (app, smtp) = app_with_smtp(&[]).await;
    let laptop = app.browser();
    let check = ask(&app, &laptop, "carol@example.com", None).await;
    let request = check.split("r=").nth(1).unwrap().to_owned();
    let email = SignInEmail::parse(&smtp.wait_for(1, MAIL_WAIT).await);

    let typed = |code: String| {
        let laptop = laptop.clone();
        let url = app.url("/api/sign-in/code");
        let request = request.clone();
        async move {
            let form =
                [("request", request.as_str()), ("email", "carol@example.com"), ("code", &code)];
            location(&laptop.post(url).form(&form).send().await.unwrap())
        }
    };
    let wrong = format!("{:06}", (email.code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let answer = typed(wrong).await;
    assert!(answer.contains("error=wrong") && answer.contains("left=4"), "{answer}");
    let (_, body) = page(&laptop, &app.url(&answer)).await;
    assert!(body.contains("You have 4 more tries") && body.contains("role=\"alert\""), "{body}");
    assert!(typed("12a".into()).await.contains("error=format"));

    let spaced = format!("{} {}", &email.code[..3], &email.code[3..]);
    assert_eq!(typed(spaced).await, "/dashboard");
    let (_, body) = page(&laptop, &app.url("/dashboard")).await;
    assert!(body.contains("carol@example.com"), "{body}");

    // The request is consumed: its code and its link are both spent now.
    assert!(typed(email.code.clone()).await.contains("error=dead"));
    let phone = app.browser();
    let refused = redeem(&app, &phone, email.token()).await;
    assert_eq!(location(&refused), "/signin/continue");
}

/// Existing account, new address, malformed-but-plausible, over the limit: one answer.
#[tokio::test]
async fn every_address_gets_the_same_answer() {
    let (app, smtp) = app_with_smtp(&["--sign-in-per-email=2"]).await;
    let browser = app.browser();
    // known@ gets an account by signing in once.
    ask(&app, &browser, "known@example.com", None).await;
    let first = SignInEmail::parse(&smtp.wait_for(1, MAIL_WAIT).await);
    let redeemed = redeem(&app, &browser, first.token()).await;
    assert_eq!(location(&redeemed), "/dashboard");
    let mut answers = Vec::new();
    for email in ["known@example.com", "unknown@example.com", "known@example", "known@example.com"]
    {
        let response =
            browser.post(app.url("/api/sign-in")).form(&[("email", email)]).send().await.unwrap();
        let status = response.status();
        let target = location(&response);
        let body = response.text().await.unwrap();
        // Same status and body; the target differs only by the echoed address and handle.
        let shape = target.split("&r=").next().unwrap().replace(&urlencode(email), "EMAIL");
        answers.push((status, body, shape));
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");

    // Mail went to known@ twice (its limit) and to unknown@: the invalid address and the
    // request over the limit got none.
    smtp.wait_for(3, MAIL_WAIT).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let recipients: Vec<_> =
        smtp.messages().iter().map(|m| SignInEmail::parse(m).to).collect::<Vec<_>>();
    assert_eq!(recipients.len(), 3, "{recipients:?}");
    assert_eq!(recipients.iter().filter(|r| *r == "known@example.com").count(), 2);
}

fn urlencode(text: &str) -> String {
    text.replace('@', "%40")
}

#[tokio::test]
async fn the_per_ip_limit_sends_nothing_more() {
    let (app, smtp) = app_with_smtp(&["--sign-in-per-ip=3"]).await;
    let browser = app.browser();
    for i in 0..5 {
        ask(&app, &browser, &format!("user{i}@example.com"), None).await;
    }
    smtp.wait_for(3, MAIL_WAIT).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), 3);
}

#[tokio::test]
async fn mail_waits_for_smtp_to_come_back() {
    // Nothing listens on this port yet.
    let port = free_port();
    let app = spawn_app_with(&[&format!("--smtp-url=smtp://127.0.0.1:{port}")]).await;
    let browser = app.browser();
    let started = std::time::Instant::now();
    ask(&app, &browser, "patient@example.com", None).await;
    // The request never waits for SMTP.
    assert!(started.elapsed() < Duration::from_secs(2));
    tokio::time::sleep(Duration::from_secs(2)).await;

    let smtp = SmtpServer::start(port);
    let email = SignInEmail::parse(&smtp.wait_for(1, Duration::from_secs(30)).await);
    assert_eq!(email.to, "patient@example.com");
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let (app, smtp) = app_with_smtp(&[]).await;
    let browser = app.browser();
    let refused: [&[(&str, &str)]; 3] = [
        &[("origin", "https://evil.example")],
        &[("sec-fetch-site", "cross-site")],
        // DNS rebinding: the browser says same-origin, but the origin is another name
        // (`localhost` is not the base URL's 127.0.0.1).
        &[("sec-fetch-site", "same-origin"), ("origin", "http://localhost:3000")],
    ];
    for headers in refused {
        for path in ["/api/sign-in", "/api/sign-in/link", "/api/sign-out"] {
            let mut request = browser.post(app.url(path));
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let response = request
                .form(&[("email", "victim@example.com"), ("token", "x")])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path} {headers:?}");
        }
    }
    // Our own pages' posts pass.
    let ours = browser
        .post(app.url("/api/sign-in"))
        .header("origin", BASE_URL)
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", "me@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(ours.status(), StatusCode::FOUND);
    let email = SignInEmail::parse(&smtp.wait_for(1, MAIL_WAIT).await);
    assert_eq!(email.to, "me@example.com");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.messages().len(), 1);
}

/// The first message the file transport wrote (the default transport: .eml files).
async fn first_eml(app: &TestApp) -> SignInEmail {
    let dir = app.data_dir.path().join("mail");
    let deadline = std::time::Instant::now() + MAIL_WAIT;
    loop {
        let found = std::fs::read_dir(&dir)
            .ok()
            .and_then(|mut entries| {
                entries.find_map(|e| {
                    e.ok().filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                })
            })
            .and_then(|e| std::fs::read(e.path()).ok());
        if let Some(raw) = found {
            return SignInEmail::parse(&raw);
        }
        assert!(std::time::Instant::now() < deadline, "no .eml in {}", dir.display());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `.eml` files the file transport has written so far.
fn emls(app: &TestApp) -> std::collections::HashSet<std::path::PathBuf> {
    let dir = app.data_dir.path().join("mail");
    let Ok(entries) = std::fs::read_dir(dir) else { return Default::default() };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect()
}

/// The next sign-in message to arrive that is not in `seen`.
async fn next_sign_in_eml(
    app: &TestApp,
    seen: &std::collections::HashSet<std::path::PathBuf>,
) -> SignInEmail {
    let deadline = std::time::Instant::now() + MAIL_WAIT;
    loop {
        let fresh = emls(app).into_iter().filter(|p| !seen.contains(p));
        for raw in fresh.filter_map(|p| std::fs::read(p).ok()) {
            use mailparse::MailHeaderMap as _;
            let Ok(mail) = mailparse::parse_mail(&raw) else { continue };
            let subject = mail.headers.get_first_value("Subject").unwrap_or_default();
            if subject == "Your Latchkey sign-in link" {
                return SignInEmail::parse(&raw);
            }
        }
        assert!(std::time::Instant::now() < deadline, "no new sign-in email");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Signs `email` in through the file transport's .eml, returning the browser.
pub async fn signed_in(app: &TestApp, email: &str) -> reqwest::Client {
    let browser = app.browser();
    let seen = emls(app);
    ask(app, &browser, email, None).await;
    let message = next_sign_in_eml(app, &seen).await;
    let response = redeem(app, &browser, message.token()).await;
    assert_eq!(location(&response), "/dashboard");
    browser
}

/// The value of the session cookie a response sets, if it sets exactly one.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    let set: Vec<String> = set_cookies(response)
        .into_iter()
        .filter_map(|c| c.strip_prefix("latchkey_session=").map(str::to_owned))
        .collect();
    let [cookie] = &set[..] else { panic!("session cookies set: {set:?}") };
    assert!(!cookie.contains("Max-Age=0"), "a removal, not a session: {cookie}");
    cookie.split(';').next().map(str::to_owned)
}

/// Signing in never keeps the id the browser held, whether it was a live session or one
/// planted by someone else, and sends only the new session's cookie.
#[tokio::test]
async fn signing_in_replaces_the_browsers_session() {
    // The planted cookie header replaces the client's own cookies, the request's among
    // them: this test is about sessions, so the link asks only for a click elsewhere.
    let app = spawn_app_with(&["--sign-in-other-browser=confirm"]).await;
    let browser = app.browser();
    ask(&app, &browser, "fay@example.com", None).await;
    let first = first_eml(&app).await;
    let old = session_cookie(&redeem(&app, &browser, first.token()).await).unwrap();

    // Signed in already, the same browser signs in again.
    std::fs::remove_dir_all(app.data_dir.path().join("mail")).unwrap();
    ask(&app, &browser, "fay@example.com", None).await;
    let second = first_eml(&app).await;
    let new = session_cookie(&redeem(&app, &browser, second.token()).await).unwrap();
    assert_ne!(new, old);
    assert_eq!(page(&browser, &app.url("/dashboard")).await.0, StatusCode::OK);
    let stale = app.browser();
    let with_old =
        stale.get(app.url("/dashboard")).header("cookie", format!("latchkey_session={old}"));
    assert!(with_old.send().await.unwrap().status().is_redirection(), "the old id is dead");

    // An id the server never issued (planted): replaced too, with no removal cookie after.
    std::fs::remove_dir_all(app.data_dir.path().join("mail")).unwrap();
    let victim = app.browser();
    ask(&app, &victim, "fay@example.com", None).await;
    let third = first_eml(&app).await;
    let planted = "latchkey_session=AAAAAAAAAAAAAAAAAAAAAA";
    let response = victim
        .post(app.url("/api/sign-in/link"))
        .header("cookie", planted)
        .form(&[("token", third.token())])
        .send()
        .await
        .unwrap();
    let issued = session_cookie(&response).unwrap();
    assert_ne!(format!("latchkey_session={issued}"), planted);
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let app = spawn_app_with(&[]).await;
    let browser = signed_in(&app, "dora@example.com").await;
    assert_eq!(page(&browser, &app.url("/dashboard")).await.0, StatusCode::OK);
    let out = browser.post(app.url("/api/sign-out")).send().await.unwrap();
    assert_eq!(location(&out), "/signin?signed_out=1");
    let dashboard = browser.get(app.url("/dashboard")).send().await.unwrap();
    assert!(dashboard.status().is_redirection());
}

#[tokio::test]
async fn sessions_end_at_their_absolute_timeout() {
    let app = spawn_app_with(&["--session-absolute-timeout=2s"]).await;
    let browser = signed_in(&app, "erin@example.com").await;
    assert_eq!(page(&browser, &app.url("/dashboard")).await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let dashboard = browser.get(app.url("/dashboard")).send().await.unwrap();
    assert!(dashboard.status().is_redirection(), "{}", dashboard.status());
}

#[tokio::test]
async fn session_cookies_are_secure_behind_https() {
    // The link is opened in another browser than the asking one, whose page asks only for
    // a click here: this test is about the cookies.
    let flags = ["--base-url=https://latchkey.example", "--session-idle-timeout=1h"];
    let app = spawn_app_with(&[flags[0], flags[1], "--sign-in-other-browser=confirm"]).await;
    let browser = app.browser();
    let asked = browser
        .post(app.url("/api/sign-in"))
        .form(&[("email", "frank@example.com")])
        .send()
        .await
        .unwrap();
    let request_cookie = set_cookies(&asked).join("\n");
    assert!(request_cookie.starts_with("__Host-latchkey_asked="), "{request_cookie}");
    assert!(request_cookie.contains("Secure") && request_cookie.contains("Path=/"));
    let message = first_eml(&app).await;
    assert!(message.link.starts_with("https://latchkey.example/signin/link?token="));
    let elsewhere = app.browser();
    let opened = elsewhere
        .get(app.url(&format!("/signin/link?token={}", message.token())))
        .send()
        .await
        .unwrap();
    let link_cookie = set_cookies(&opened).join("");
    assert!(link_cookie.starts_with("__Host-latchkey_link=") && link_cookie.contains("Secure"));
    let response = redeem(&app, &elsewhere, message.token()).await;
    let cookies = set_cookies(&response).join("\n");
    assert!(
        cookies.contains("__Host-latchkey_session=") && cookies.contains("Secure"),
        "{cookies}"
    );
    // Over https, browsers are told never to come back over plain http.
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );
    assert!(cookies.contains("Max-Age=3600"), "idle timeout: {cookies}");
}

/// Malformed or missing form fields are the client's fault: a 400, never a 500.
#[tokio::test]
async fn malformed_posts_are_a_400() {
    let app = spawn_app_with(&[]).await;
    let browser = app.browser();
    for (path, body) in [
        ("/api/sign-in", ""),
        ("/api/sign-in", "emial=typo"),
        ("/api/sign-in/code", "request=x"),
        ("/api/sign-in/link", ""),
    ] {
        let response = browser
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path} {body:?}");
    }
    // Whatever is typed, the echo in the redirect stays address-sized.
    let long = format!("{}@example.com", "a".repeat(5000));
    let target = ask(&app, &browser, &long, None).await;
    assert!(target.len() < 400, "{}", target.len());
    // A link's token can only be a token: nothing else reaches the Set-Cookie header.
    let planted = browser
        .get(app.url("/signin/link?token=abc%3B%20Domain%3Devil.example"))
        .send()
        .await
        .unwrap();
    let cookie = set_cookies(&planted).join("\n");
    assert!(!cookie.contains("evil") && cookie.contains("Max-Age=0"), "{cookie}");
    // A `next` the server will not redirect to is ignored, not an error.
    let response = browser
        .post(app.url("/api/sign-in"))
        .form(&[("email", "h@example.com"), ("next", "/caf\u{e9}")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
}
