//! `/reports/:id/view?token=…`: a report opened with an emailed link. Read-only, signs
//! nobody in, and shows nothing else of the account. The token stays in the URL (the link
//! is the credential); the page is not stored and sends no referrer (see the server's
//! headers).

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

use super::summary::LinkedReport;

/// Opens the report the link is for; `None` for any link that does not work (one answer
/// for every reason, which goes to the log).
#[server(prefix = "/api", endpoint = "reports/open-link")]
pub async fn open_report_link(
    id: i64,
    token: String,
) -> Result<Option<LinkedReport>, ServerFnError> {
    use crate::mail::describe::utc_time;
    use crate::request::{internal, services, set_status, visit};
    use crate::services::reports;

    let services = services()?;
    let now = std::time::SystemTime::now();
    let opened = match reports::open_link(&services.reports, id, &token, visit(), now).await {
        Ok(opened) => opened,
        Err(error) => {
            // Not the link's fault: say so, and let the reader retry.
            set_status(http::StatusCode::SERVICE_UNAVAILABLE);
            return Err(internal(error));
        }
    };
    Ok(match opened {
        Ok(view) => Some(LinkedReport {
            title: view.title,
            body_html: view.body_html,
            updated: utc_time(view.updated_at),
            expires: view.link_expires_at.map(utc_time),
        }),
        Err(rejection) => {
            tracing::debug!(%rejection, report = id, "report link refused");
            set_status(http::StatusCode::NOT_FOUND);
            None
        }
    })
}

#[component]
pub fn ReportLinkPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let args = move || {
        let id = params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or(0);
        (id, query.read().get("token").unwrap_or_default())
    };
    let report = Resource::new(args, |(id, token)| open_report_link(id, token));
    view! {
        // The URL holds a credential: no search engine may keep it.
        <Meta name="robots" content="noindex, nofollow" />
        <Suspense fallback=|| view! { <p>"Opening the report…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(Some(report)) => {
                        let lifetime = match report.expires {
                            Some(at) => format!("This link works until {at}."),
                            None => "This link works until it is revoked.".to_owned(),
                        };
                        view! {
                            <Title text=report.title.clone() />
                            <article class="panel report" aria-labelledby="report-title">
                                <p class="notice">"Opened with a link from an email: read-only. You are not signed in."</p>
                                <h1 id="report-title">{report.title.clone()}</h1>
                                <p class="hint">{format!("Updated {}. {lifetime}", report.updated)}</p>
                                <div class="report-body" inner_html=report.body_html.clone()></div>
                            </article>
                        }
                            .into_any()
                    }
                    Ok(None) => view! { <LinkDoesNotWork /> }.into_any(),
                    Err(_) => view! { <Unavailable /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The database failed: not the link's fault, so say so.
#[component]
pub(super) fn Unavailable() -> impl IntoView {
    view! {
        <Title text="The report cannot be opened right now" />
        <section class="panel narrow" aria-labelledby="busy-title">
            <h1 id="busy-title">"The report cannot be opened right now"</h1>
            <p>"Something went wrong on our side; your link is fine. Reload the page in a moment."</p>
        </section>
    }
}

/// One answer for every link that does not work, whatever the reason.
#[component]
pub(super) fn LinkDoesNotWork() -> impl IntoView {
    view! {
        <Title text="This link does not work" />
        <section class="panel narrow" aria-labelledby="dead-title">
            <h1 id="dead-title">"This link does not work"</h1>
            <p>
                "It may have expired or been revoked, or it was copied incompletely. If the report is yours, sign in and open it from your dashboard."
            </p>
            <p><a href="/signin">"Sign in"</a></p>
        </section>
    }
}
