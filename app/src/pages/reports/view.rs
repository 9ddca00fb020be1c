//! `/reports/:id`: the owner's report, with "email me a link" and the links issued.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use super::sharing::Sharing;
use super::summary::{Access, LinkSummary, ReportDetail};
use crate::components::SubmitButton;

/// The signed-in owner's report, with its live links.
#[server(prefix = "/api", endpoint = "reports/get")]
pub async fn get_report(id: i64) -> Result<Access<ReportDetail>, ServerFnError> {
    use std::time::SystemTime;

    use crate::mail::describe::utc_time;
    use crate::request::{internal, services, set_status, signed_in_user};
    use crate::services::activity_report::{self, JobState};
    use crate::services::reports;
    use crate::services::shares::{self, ShareState};

    use super::summary::ShareItem;

    let Some(user) = signed_in_user().await? else {
        return Ok(Access::SignedOut);
    };
    let services = services()?;
    let now = SystemTime::now();
    // The job's state before the report: it turns ready in the transaction that fills the
    // report, so a report read after "ready" is the built one. The other way round, a job
    // finishing in between showed "ready" over the placeholder, and the page stopped
    // refreshing.
    let job = activity_report::state(&services.activity_reports, id).await.map_err(internal)?;
    let Some(report) = reports::get(&services.reports, user.id, id).await.map_err(internal)? else {
        set_status(http::StatusCode::NOT_FOUND);
        return Ok(Access::NotFound);
    };
    let links = reports::links_of(&services.reports, user.id, id, now).await.map_err(internal)?;
    let shares = shares::of_report(&services.shares, user.id, id, now).await.map_err(internal)?;
    Ok(Access::Granted(ReportDetail {
        id: report.id,
        title: report.title,
        markdown: report.body_markdown,
        body_html: report.body_html,
        updated: utc_time(crate::services::time::from_unix(report.updated_at)),
        generated: job.map(|state| {
            match state {
                JobState::Queued => "queued",
                JobState::Building => "building",
                JobState::Ready => "ready",
                JobState::Failed => "failed",
            }
            .to_owned()
        }),
        links: links
            .into_iter()
            .map(|link| LinkSummary {
                id: link.id,
                created: utc_time(link.created_at),
                expires: link.expires_at.map(utc_time),
                last_opened: link.last_opened_at.map(utc_time),
                opens: link.opens,
            })
            .collect(),
        shares: shares
            .into_iter()
            .map(|share| ShareItem {
                id: share.id,
                guest: share.guest,
                created: utc_time(share.created_at),
                expires: share.expires_at.map(utc_time),
                state: match share.state {
                    ShareState::Active => "Active",
                    ShareState::Revoked => "Revoked",
                    ShareState::Expired => "Expired",
                }
                .to_owned(),
                active: share.state == ShareState::Active,
                last_opened: share.last_opened_at.map(utc_time),
                people: share.opens_people,
                automated: share.opens_automated,
                named_only: share.named_only,
                browsers: share.browsers,
                link: share.link,
            })
            .collect(),
    }))
}

/// "Email me a link to this report".
#[server(prefix = "/api", endpoint = "reports/email-link")]
pub async fn email_report_link(id: i64) -> Result<(), ServerFnError> {
    use crate::request::{internal, redirect, services, signed_in_user};
    use crate::services::reports::{self, LinkEmail};

    let Some(user) = signed_in_user().await? else {
        redirect(&format!("/signin?next=/reports/{id}"));
        return Ok(());
    };
    let services = services()?;
    let now = std::time::SystemTime::now();
    let sent = reports::email_link(&services.reports, &user, id, now).await.map_err(internal)?;
    // Best effort, like the record itself: the email is queued either way.
    if sent == LinkEmail::Queued
        && let Ok(Some(report)) = reports::get(&services.reports, user.id, id).await
    {
        let event = crate::services::activity::Event::ReportLinkEmailed { report: report.title };
        crate::request::record_activity(&services, user.id, event).await;
    }
    redirect(&match sent {
        LinkEmail::Queued => format!("/reports/{id}?link=sent"),
        LinkEmail::OverLimit => format!("/reports/{id}?link=limit"),
        LinkEmail::NotFound => format!("/reports/{id}"),
    });
    Ok(())
}

/// Revokes one link to a report, at once.
#[server(prefix = "/api", endpoint = "reports/revoke-link")]
pub async fn revoke_report_link(
    report: i64,
    link: i64,
    back: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::request::{internal, redirect, services, signed_in_user};
    use crate::services::reports;

    let Some(user) = signed_in_user().await? else {
        redirect(&format!("/signin?next=/reports/{report}"));
        return Ok(());
    };
    let services = services()?;
    if reports::revoke_link(&services.reports, user.id, link).await.map_err(internal)? {
        let event = crate::services::activity::Event::ReportLinkRevoked;
        crate::request::record_activity(&services, user.id, event).await;
    }
    if back.as_deref() == Some("access") {
        redirect(&format!("/access?revoked=link-{link}"));
    } else {
        redirect(&format!("/reports/{report}?link=revoked"));
    }
    Ok(())
}

#[component]
pub fn ReportPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|id| id.parse::<i64>().ok());
    // Emailing or revoking a link answers with a redirect back here (another query): load
    // again then, so the list shows the change without a reload.
    let search = use_location().search;
    let report = Resource::new(move || (id(), search.get()), |(id, _)| get_report(id.unwrap_or(0)));
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(Access::Granted(report)) => view! { <OwnerView report /> }.into_any(),
                    Ok(Access::SignedOut) => {
                        let next = format!("/signin?next=/reports/{}", id().unwrap_or(0));
                        view! { <Redirect path=next /> }.into_any()
                    }
                    Ok(Access::NotFound) => view! { <crate::pages::NotFound /> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OwnerView(report: ReportDetail) -> impl IntoView {
    let query = use_query_map();
    let notice = move || match query.read().get("link").as_deref() {
        Some("sent") => Some("We've emailed you a link to this report."),
        Some("limit") => Some("You've asked for many links this hour; try again later."),
        Some("revoked") => Some("The link is revoked: it no longer opens this report."),
        _ => None,
    };
    let email = ServerAction::<EmailReportLink>::new();
    let id = report.id;
    let job = report.generated.clone();
    let unfinished = matches!(job.as_deref(), Some("queued" | "building"));
    let state = job.as_deref().map(|state| match state {
        "queued" => "Queued: the report will be built in a moment.",
        "building" => "Building: this takes a few seconds.",
        "ready" => "Ready. We emailed you a link to it when it was built.",
        _ => "Failed: it could not be built. Generate a new one from the dashboard.",
    });
    view! {
        <Title text=report.title.clone() />
        // Until its job is done, a generated report's page looks again every few seconds
        // (a plain refresh: it works without JavaScript too).
        {unfinished.then(|| view! { <Meta http_equiv="refresh" content="3" /> })}
        <article class="panel report" aria-labelledby="report-title">
            <h1 id="report-title">{report.title.clone()}</h1>
            <p class="hint">{format!("Updated {}", report.updated)}</p>
            {state.map(|state| view! { <p role="status" class="notice" data-job=job.clone()>{state}</p> })}
            <div class="report-body" inner_html=report.body_html.clone()></div>
        </article>
        <section class="panel" aria-labelledby="links-title">
            <h2 id="links-title">"Links to this report"</h2>
            <p role="status" class="notice" hidden=move || notice().is_none()>{notice}</p>
            <p>
                "A report link opens this report, read-only, for whoever has the email. It does not sign anyone in."
            </p>
            <div class="actions">
                <ActionForm action=email>
                    <input type="hidden" name="id" value=id.to_string() />
                    <SubmitButton label="Email me a link to this report" busy="Sending…" class="" />
                </ActionForm>
                // A generated report is not edited, only deleted (from the same page).
                <a class="button secondary" href=format!("/reports/{id}/edit")>
                    {if report.generated.is_some() { "Delete" } else { "Edit" }}
                </a>
            </div>
            <LinkList report=id links=report.links />
        </section>
        <Sharing report=id shares=report.shares />
    }
}

#[component]
fn LinkList(report: i64, links: Vec<LinkSummary>) -> impl IntoView {
    if links.is_empty() {
        return view! { <p class="hint">"No live links."</p> }.into_any();
    }
    let revoke = ServerAction::<RevokeReportLink>::new();
    view! {
        <table class="links">
            <caption class="visually-hidden">"Live links to this report"</caption>
            <thead>
                <tr>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Expires"</th>
                    <th scope="col">"Last opened"</th>
                    <th scope="col">"Opens"</th>
                    <th scope="col"><span class="visually-hidden">"Revoke"</span></th>
                </tr>
            </thead>
            <tbody>
                {links
                    .into_iter()
                    .map(|link| {
                        view! {
                            <tr>
                                <td>{link.created}</td>
                                <td>{link.expires.unwrap_or_else(|| "when revoked".to_owned())}</td>
                                <td>{link.last_opened.unwrap_or_else(|| "never".to_owned())}</td>
                                <td>{link.opens}</td>
                                <td>
                                    <ActionForm action=revoke>
                                        <input type="hidden" name="report" value=report.to_string() />
                                        <input type="hidden" name="link" value=link.id.to_string() />
                                        <button type="submit" class="secondary">"Revoke"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
        .into_any()
}
