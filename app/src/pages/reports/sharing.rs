//! The owner's sharing of one report: the share dialog (a guest by email, or a link to
//! copy) and every share made, with its opens split into people and automated visitors,
//! and revoke.

use leptos::prelude::*;

use super::summary::ShareItem;
use crate::components::SubmitButton;

/// Expiry choices, in days; "" is none.
const EXPIRY_DAYS: [(&str, &str); 5] =
    [("", "Never"), ("1", "1 day"), ("7", "7 days"), ("30", "30 days"), ("90", "90 days")];

/// Shares the report with a guest by email.
#[server(prefix = "/api", endpoint = "shares/create")]
pub async fn share_report(
    id: i64,
    email: String,
    expires: String,
    message: String,
    named_only: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::domain::EmailAddress;
    use crate::services::shares::ShareMessage;

    let Ok(guest) = EmailAddress::parse(&email) else {
        crate::request::redirect(&format!("/reports/{id}?share=bad-email#sharing"));
        return Ok(());
    };
    let Ok(message) = ShareMessage::parse(&message) else {
        crate::request::redirect(&format!("/reports/{id}?share=long#sharing"));
        return Ok(());
    };
    let named_only = named_only.is_some();
    create(id, Some(guest), &expires, message, named_only).await
}

/// Shares the report as a link to copy, without an address.
#[server(prefix = "/api", endpoint = "shares/create-link")]
pub async fn share_report_link(id: i64, expires: String) -> Result<(), ServerFnError> {
    create(id, None, &expires, None, false).await
}

#[cfg(feature = "ssr")]
async fn create(
    id: i64,
    guest: Option<crate::domain::EmailAddress>,
    expires: &str,
    message: Option<crate::services::shares::ShareMessage>,
    named_only: bool,
) -> Result<(), ServerFnError> {
    use std::time::{Duration, SystemTime};

    use crate::request::{internal, redirect, services, signed_in_user};
    use crate::services::shares::{self, NewShare, Shared};

    let Some(user) = signed_in_user().await? else {
        redirect(&format!("/signin?next=/reports/{id}"));
        return Ok(());
    };
    let now = SystemTime::now();
    let expires_at = match expires.trim() {
        "" => None,
        days => match EXPIRY_DAYS.iter().find(|(value, _)| *value == days) {
            Some(_) => {
                let days: u64 = days.parse().unwrap_or(1);
                Some(now + Duration::from_secs(days * 86_400))
            }
            None => {
                redirect(&format!("/reports/{id}?share=bad-expiry#sharing"));
                return Ok(());
            }
        },
    };
    let services = services()?;
    let with = guest.as_ref().map(|g| g.as_str().to_owned());
    let new = NewShare { guest, expires_at, message, named_only };
    let shared = shares::share(&services.shares, &user, id, &new, now).await.map_err(internal)?;
    // Best effort, like the record itself: the share is made either way.
    if matches!(shared, Shared::Emailed { .. } | Shared::Link { .. })
        && let Ok(Some(report)) =
            crate::services::reports::get(&services.reports, user.id, id).await
    {
        let event = crate::services::activity::Event::Shared { report: report.title, with };
        crate::request::record_activity(&services, user.id, event).await;
    }
    // The share's id in the query makes each outcome a new URL, so the page loads again
    // even when the same action is repeated.
    let outcome = match shared {
        Shared::Emailed { share_id } => format!("sent&id={share_id}"),
        Shared::Link { share_id, .. } => format!("link&id={share_id}"),
        Shared::OverLimit => "limit".to_owned(),
        Shared::NamedNeedsGuest => "named-needs-guest".to_owned(),
        Shared::ExpiryPassed => "bad-expiry".to_owned(),
        Shared::NotFound => {
            redirect(&format!("/reports/{id}"));
            return Ok(());
        }
    };
    redirect(&format!("/reports/{id}?share={outcome}#sharing"));
    Ok(())
}

/// Stops one share at once.
#[server(prefix = "/api", endpoint = "shares/revoke")]
pub async fn revoke_share(
    report: i64,
    share: i64,
    back: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::request::{internal, redirect, services, signed_in_user};
    use crate::services::shares;

    let Some(user) = signed_in_user().await? else {
        redirect(&format!("/signin?next=/reports/{report}"));
        return Ok(());
    };
    let services = services()?;
    let now = std::time::SystemTime::now();
    if shares::revoke(&services.shares, user.id, share, now).await.map_err(internal)? {
        let event = crate::services::activity::Event::ShareRevoked;
        crate::request::record_activity(&services, user.id, event).await;
    }
    if back.as_deref() == Some("settings") {
        redirect(&format!("/settings?share_revoked={share}"));
    } else if back.as_deref() == Some("access") {
        redirect(&format!("/access?revoked=share-{share}"));
    } else {
        redirect(&format!("/reports/{report}?share=revoked&id={share}#sharing"));
    }
    Ok(())
}

/// Forgets the browsers a named guest confirmed: each must confirm again.
#[server(prefix = "/api", endpoint = "shares/reset-browsers")]
pub async fn reset_share_browsers(report: i64, share: i64) -> Result<(), ServerFnError> {
    use crate::request::{internal, redirect, services, signed_in_user};
    use crate::services::shares;

    let Some(user) = signed_in_user().await? else {
        redirect(&format!("/signin?next=/reports/{report}"));
        return Ok(());
    };
    let services = services()?;
    let now = std::time::SystemTime::now();
    shares::reset_browsers(&services.shares, user.id, share, now).await.map_err(internal)?;
    redirect(&format!("/reports/{report}?share=reset&id={share}#sharing"));
    Ok(())
}

/// What the last sharing action did, from the query it redirected to.
fn notice(outcome: Option<&str>) -> Option<(&'static str, bool)> {
    Some(match outcome? {
        "sent" => ("Shared: we've emailed the guest a link.", false),
        "link" => ("Link created: copy it from the list below.", false),
        "revoked" => ("The share is revoked: its link no longer opens this report.", false),
        "reset" => ("Confirmed browsers forgotten: the guest confirms again with a code.", false),
        "limit" => ("You've shared a lot today; try again tomorrow.", true),
        "bad-email" => ("That is not an email address, as in name@example.com.", true),
        "long" => ("The message is too long.", true),
        "bad-expiry" => ("Choose an expiry from the list.", true),
        "named-needs-guest" => ("\"Only this person\" needs an email address.", true),
        _ => return None,
    })
}

#[component]
pub fn Sharing(report: i64, shares: Vec<ShareItem>) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let outcome = move || notice(query.read().get("share").as_deref());
    let share = ServerAction::<ShareReport>::new();
    let link = ServerAction::<ShareReportLink>::new();
    let expiry_options = move || {
        EXPIRY_DAYS
            .iter()
            .map(|(value, label)| view! { <option value=*value>{*label}</option> })
            .collect_view()
    };
    view! {
        <section class="panel" id="sharing" aria-labelledby="sharing-title">
            <h2 id="sharing-title">"Share this report"</h2>
            <p>
                "A share opens this report, read-only, for the person you share it with. It keeps working if you sign out everywhere; it stops when you revoke it, when it expires, or when you delete the report."
            </p>
            {move || {
                outcome()
                    .map(|(text, error)| {
                        view! {
                            <p role=if error { "alert" } else { "status" } class=if error { "error" } else { "notice" }>
                                {text}
                            </p>
                        }
                    })
            }}
            <ActionForm action=share attr:class="share-form">
                <input type="hidden" name="id" value=report.to_string() />
                <label for="share-email">"Guest's email"</label>
                <input id="share-email" name="email" type="email" autocomplete="off" required />
                <label for="share-expires">"Expires"</label>
                <select id="share-expires" name="expires">{expiry_options}</select>
                <label for="share-message">"Message (optional)"</label>
                <textarea id="share-message" name="message" rows="3" maxlength="500"></textarea>
                <label class="checkbox">
                    <input type="checkbox" name="named_only" value="on" />
                    " Only this person: the first time, their browser confirms with a code sent to this address, so a forwarded link opens nothing."
                </label>
                <SubmitButton label="Share" busy="Sharing…" class="" />
            </ActionForm>
            <ActionForm action=link attr:class="share-link-form">
                <input type="hidden" name="id" value=report.to_string() />
                <label for="link-expires">"Or create a link to copy, for anyone who has it. Expires"</label>
                <select id="link-expires" name="expires">{expiry_options}</select>
                <SubmitButton label="Create a link to copy" busy="Creating…" class="secondary" />
            </ActionForm>
            <ShareList report shares />
        </section>
    }
}

#[component]
fn ShareList(report: i64, shares: Vec<ShareItem>) -> impl IntoView {
    if shares.is_empty() {
        return view! { <p class="hint">"Not shared with anyone yet."</p> }.into_any();
    }
    let revoke = ServerAction::<RevokeShare>::new();
    let reset = ServerAction::<ResetShareBrowsers>::new();
    view! {
        <table class="links shares">
            <caption>"Shares of this report"</caption>
            <thead>
                <tr>
                    <th scope="col">"Shared with"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Expires"</th>
                    <th scope="col">"Last opened"</th>
                    <th scope="col">"People"</th>
                    <th scope="col">"Automated"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {shares
                    .into_iter()
                    .map(|item| {
                        let who = item.guest.clone().unwrap_or_else(|| "Anyone with the link".to_owned());
                        let id = item.id;
                        let active = item.active;
                        let resettable = active && item.named_only && item.browsers > 0;
                        let confirmed = item.named_only.then(|| {
                            let browsers = item.browsers;
                            let noun = if browsers == 1 { "browser" } else { "browsers" };
                            format!("Only this person: {browsers} {noun} confirmed")
                        });
                        view! {
                            <tr>
                                <td>
                                    {who}
                                    {confirmed.map(|text| view! { <br /><span class="hint">{text}</span> })}
                                    {item.link.clone().map(|url| {
                                        let label = format!("Link of share {id}");
                                        view! {
                                            <br />
                                            <input class="copy-link" readonly value=url aria-label=label />
                                        }
                                    })}
                                </td>
                                <td>{item.state.clone()}</td>
                                <td>{item.created.clone()}</td>
                                <td>{item.expires.clone().unwrap_or_else(|| "never".to_owned())}</td>
                                <td>{item.last_opened.clone().unwrap_or_else(|| "never".to_owned())}</td>
                                <td>{item.people}</td>
                                <td>{item.automated}</td>
                                <td>
                                    <Show when=move || active>
                                        <ActionForm action=revoke>
                                            <input type="hidden" name="report" value=report.to_string() />
                                            <input type="hidden" name="share" value=id.to_string() />
                                            <button type="submit" class="secondary">"Revoke"</button>
                                        </ActionForm>
                                    </Show>
                                    <Show when=move || resettable>
                                        <ActionForm action=reset>
                                            <input type="hidden" name="report" value=report.to_string() />
                                            <input type="hidden" name="share" value=id.to_string() />
                                            <button type="submit" class="secondary">"Reset browsers"</button>
                                        </ActionForm>
                                    </Show>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        <p class="hint">
            "Automated opens are link scanners, chat previews and scripts, told apart by their headers and networks; a scanner that looks exactly like a browser counts as a person."
        </p>
    }
        .into_any()
}
