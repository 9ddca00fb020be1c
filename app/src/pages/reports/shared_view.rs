//! `/shared?token=…`: a report someone shared. Read-only, signs nobody in, shows nothing of
//! the owner's but this report. A revoked or expired share says which (410); any other
//! link that does not work gets the one generic answer (404). For "only the named guest"
//! shares, a browser first confirms with a code emailed to the guest.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};

use super::link_view::{LinkDoesNotWork, Unavailable};
use super::summary::{ShareQuery, SharedPage, SharedReportView};
use crate::components::SubmitButton;

/// Opens the share link in `query` in the browser that sent `headers`, counting the visit.
/// The server calls this before rendering and hands the answer to the render as context
/// (see [`super::link_view::ReportLinkView`] for why).
#[cfg(feature = "ssr")]
pub async fn load_share(
    shares: &crate::services::shares::Shares,
    query: ShareQuery,
    headers: &http::HeaderMap,
    secure_cookies: bool,
    visit: crate::services::reports::Visit,
    now: std::time::SystemTime,
) -> SharedPage {
    use crate::mail::describe::utc_time;
    use crate::services::links::Gone;
    use crate::services::shares::{self, Opening};

    let browser = crate::guest_browser::in_headers(headers, secure_cookies);
    let opened = match shares::open(shares, &query.token, browser.as_ref(), visit, now).await {
        Ok(opened) => opened,
        Err(error) => {
            tracing::error!(%error, "share link: database error");
            return SharedPage::Unavailable;
        }
    };
    match opened {
        Opening::Open(report) => SharedPage::Open(SharedReportView {
            title: report.title,
            body_html: report.body_html,
            updated: utc_time(report.updated_at),
            shared_by: report.shared_by,
            message: report.message,
            expires: report.expires_at.map(utc_time),
        }),
        Opening::ConfirmFirst { guest_hint } => SharedPage::ConfirmFirst { guest_hint, query },
        Opening::Ended(Gone::Revoked) => SharedPage::Revoked,
        Opening::Ended(Gone::Expired) => SharedPage::Expired,
        Opening::Invalid(rejection) => {
            tracing::debug!(%rejection, "share link refused");
            SharedPage::Invalid
        }
    }
}

/// "Email me a code", on a named-guest share.
#[server(prefix = "/api", endpoint = "shares/send-code")]
pub async fn send_share_code(token: String) -> Result<(), ServerFnError> {
    use crate::link_cookie::is_token;
    use crate::request::{internal, redirect, services};
    use crate::services::shares::{self, CodeSent};

    if !is_token(&token) {
        redirect("/shared");
        return Ok(());
    }
    let services = services()?;
    let browser = crate::guest_browser::current_or_new(services.settings.secure_cookies);
    let now = std::time::SystemTime::now();
    let sent =
        shares::send_code(&services.shares, &token, &browser, now).await.map_err(internal)?;
    let outcome = match sent {
        CodeSent::Sent => "sent",
        CodeSent::OverLimit => "limit",
        CodeSent::Refused => "refused",
    };
    redirect(&format!("/shared?token={token}&code={outcome}"));
    Ok(())
}

/// The code from the email, typed in the browser that asked for it.
#[server(prefix = "/api", endpoint = "shares/confirm")]
pub async fn confirm_share(token: String, code: String) -> Result<(), ServerFnError> {
    use crate::domain::SignInCode;
    use crate::link_cookie::is_token;
    use crate::request::{internal, redirect, services};
    use crate::services::shares;

    if !is_token(&token) {
        redirect("/shared");
        return Ok(());
    }
    let services = services()?;
    let secure = services.settings.secure_cookies;
    let (Some(browser), Some(code)) =
        (crate::guest_browser::current(secure), SignInCode::parse(&code))
    else {
        redirect(&format!("/shared?token={token}&code=wrong"));
        return Ok(());
    };
    let now = std::time::SystemTime::now();
    let confirmed = shares::confirm_browser(&services.shares, &token, &browser, &code, now)
        .await
        .map_err(internal)?;
    back_to_share(&token, confirmed, "wrong");
    Ok(())
}

/// The link of a code email, its button pressed in the browser that opened it.
#[server(prefix = "/api", endpoint = "shares/confirm-link")]
pub async fn confirm_share_link(token: String, confirm: String) -> Result<(), ServerFnError> {
    use crate::link_cookie::is_token;
    use crate::request::{internal, redirect, services};
    use crate::services::shares;

    if !is_token(&token) {
        redirect("/shared");
        return Ok(());
    }
    let services = services()?;
    let browser = crate::guest_browser::current_or_new(services.settings.secure_cookies);
    let now = std::time::SystemTime::now();
    let confirmed =
        shares::confirm_browser_by_link(&services.shares, &token, &browser, &confirm, now)
            .await
            .map_err(internal)?;
    back_to_share(&token, confirmed, "link");
    Ok(())
}

/// Back to the share's page after confirming this browser: with `wrong` as its notice
/// when the code or link did not work.
#[cfg(feature = "ssr")]
fn back_to_share(token: &str, confirmed: crate::services::shares::Confirmed, wrong: &str) {
    use crate::services::shares::Confirmed;
    crate::request::redirect(&match confirmed {
        Confirmed::WrongCode => format!("/shared?token={token}&code={wrong}"),
        Confirmed::Confirmed | Confirmed::Refused => format!("/shared?token={token}"),
    });
}

/// `/shared?token=…`, rendered by the server with the [`SharedPage`] it loaded.
#[component]
pub fn SharedReportPage() -> impl IntoView {
    // Missing only for a path the server did not route here (see `ReportLinkPage`).
    let page = use_context::<SharedPage>().unwrap_or(SharedPage::Invalid);
    view! {
        // The URL holds a credential: no search engine may keep it.
        <Meta name="robots" content="noindex, nofollow" />
        {match page {
            SharedPage::Open(report) => view! { <Shared report /> }.into_any(),
            SharedPage::ConfirmFirst { guest_hint, query } => {
                view! { <ConfirmGuest guest_hint query /> }.into_any()
            }
            SharedPage::Revoked => {
                view! {
                    <Ended
                        title="This share was revoked"
                        text="The person who shared this report has stopped sharing it. Ask them to share it again if you still need it."
                    />
                }
                    .into_any()
            }
            SharedPage::Expired => {
                view! {
                    <Ended
                        title="This share has expired"
                        text="It was shared until a date that has now passed. Ask the person who shared it to share it again if you still need it."
                    />
                }
                    .into_any()
            }
            SharedPage::Invalid => view! { <LinkDoesNotWork /> }.into_any(),
            SharedPage::Unavailable => view! { <Unavailable /> }.into_any(),
        }}
    }
}

#[component]
fn Shared(report: SharedReportView) -> impl IntoView {
    let lifetime = match &report.expires {
        Some(at) => format!("Shared until {at}."),
        None => "Shared until its owner stops sharing it.".to_owned(),
    };
    view! {
        <Title text=report.title.clone() />
        <article class="panel report" aria-labelledby="report-title">
            <p class="notice">
                {format!("Shared with you by {}: read-only. You are not signed in.", report.shared_by)}
            </p>
            {report.message.clone().map(|message| {
                view! {
                    <figure class="share-message">
                        <blockquote>{message}</blockquote>
                        <figcaption>{format!("— {}", report.shared_by)}</figcaption>
                    </figure>
                }
            })}
            <h1 id="report-title">{report.title.clone()}</h1>
            <p class="hint">{format!("Updated {}. {lifetime}", report.updated)}</p>
            <div class="report-body" inner_html=report.body_html.clone()></div>
        </article>
    }
}

#[component]
fn ConfirmGuest(guest_hint: String, query: ShareQuery) -> impl IntoView {
    let ShareQuery { token, code: code_state, confirm: link_key } = query;
    let notice = match code_state.as_deref() {
        Some("sent") => Some("We've emailed you a code. Type it here to open the report."),
        Some("limit") => Some(
            "Several codes were sent to that address lately, so no more for now. Open the link in the latest of those emails, in this browser.",
        ),
        Some("wrong") => Some(
            "That code does not work. Check the latest email (its link works too), or ask for a new code.",
        ),
        Some("link") => Some(
            "That link no longer works: each works for a day, unless the person who shared the report has reset its browsers since. Ask for a new code.",
        ),
        _ => None,
    };
    // The link of a code email: one button, so that a mail scanner opening it does nothing.
    let confirm_link = ServerAction::<ConfirmShareLink>::new();
    let link_token = token.clone();
    let asked = matches!(code_state.as_deref(), Some("sent" | "wrong"));
    let link_pending = link_key.is_some();
    let send = ServerAction::<SendShareCode>::new();
    let confirm = ServerAction::<ConfirmShare>::new();
    let send_token = token.clone();
    view! {
        <Title text="Confirm it's you" />
        <section class="panel narrow" aria-labelledby="confirm-title">
            <h1 id="confirm-title">"Confirm it's you"</h1>
            <p>
                {format!("This report was shared with {guest_hint} only. To open it in this browser, confirm with a code we email to that address. You only do this once per browser.")}
            </p>
            <p role="status" class="notice" hidden=notice.is_none()>{notice}</p>
            <div hidden=!link_pending || code_state.is_some()>
                <ActionForm action=confirm_link>
                    <input type="hidden" name="token" value=link_token />
                    <input type="hidden" name="confirm" value=link_key.unwrap_or_default() />
                    <SubmitButton label="Open the report in this browser" busy="Opening…" class="" />
                </ActionForm>
            </div>
            <div hidden=!asked>
                <ActionForm action=confirm>
                    <input type="hidden" name="token" value=token.clone() />
                    <label for="share-code">"Code from the email"</label>
                    <input
                        id="share-code"
                        name="code"
                        type="text"
                        inputmode="numeric"
                        autocomplete="one-time-code"
                        required
                        maxlength="9"
                    />
                    <SubmitButton label="Open the report" busy="Checking…" class="" />
                </ActionForm>
            </div>
            <ActionForm action=send>
                <input type="hidden" name="token" value=send_token />
                <SubmitButton
                    label=if asked { "Send a new code" } else { "Email me a code" }
                    busy="Sending…"
                    class=if asked || link_pending { "secondary" } else { "" }
                />
            </ActionForm>
        </section>
    }
}

#[component]
fn Ended(title: &'static str, text: &'static str) -> impl IntoView {
    view! {
        <Title text=title />
        <section class="panel narrow" aria-labelledby="ended-title">
            <h1 id="ended-title">{title}</h1>
            <p>{text}</p>
        </section>
    }
}
