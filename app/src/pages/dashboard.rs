use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

use crate::components::SubmitButton;
use crate::pages::reports::ReportSummary;

/// The signed-in account's address, or `None` for a visitor.
#[server(prefix = "/api", endpoint = "me")]
pub async fn current_user() -> Result<Option<String>, ServerFnError> {
    Ok(crate::request::signed_in_user().await?.map(|u| u.email))
}

/// The dashboard's content: who is signed in and their reports; `None` for a visitor.
#[server(prefix = "/api", endpoint = "dashboard")]
pub async fn dashboard() -> Result<Option<(String, Vec<ReportSummary>)>, ServerFnError> {
    use crate::mail::describe::utc_time;
    use crate::request::{internal, services, signed_in_user};
    use crate::services::{reports, time::from_unix};

    let Some(user) = signed_in_user().await? else {
        return Ok(None);
    };
    let services = services()?;
    let list = reports::list(&services.reports, user.id).await.map_err(internal)?;
    let summaries = list
        .into_iter()
        .map(|r| ReportSummary {
            id: r.id,
            title: r.title,
            updated: utc_time(from_unix(r.updated_at)),
        })
        .collect();
    Ok(Some((user.email, summaries)))
}

/// "Generate an account activity report": creates the report, queues its job and opens it
/// (its page shows the job's state until it is ready).
#[server(prefix = "/api", endpoint = "reports/generate")]
pub async fn generate_activity_report() -> Result<(), ServerFnError> {
    use crate::request::{activity_origin, internal, redirect, services, signed_in_user};
    use crate::services::activity_report::{self, Requested};

    let Some(user) = signed_in_user().await? else {
        redirect("/signin?next=/dashboard");
        return Ok(());
    };
    let services = services()?;
    let now = std::time::SystemTime::now();
    let from = activity_origin();
    let requested = activity_report::request(&services.activity_reports, &user, &from, now);
    match requested.await.map_err(internal)? {
        Requested::Queued { report_id } | Requested::Busy { report_id } => {
            redirect(&format!("/reports/{report_id}"));
        }
        Requested::OverLimit => redirect("/dashboard?generate=limit"),
    }
    Ok(())
}

/// Ends the session on this device.
#[server(prefix = "/api", endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), ServerFnError> {
    use crate::request::{internal, redirect, session};

    crate::services::sessions::sign_out(&session().await?).await.map_err(internal)?;
    redirect("/signin?signed_out=1");
    Ok(())
}

/// `/dashboard`: where people land after signing in.
#[component]
pub fn DashboardPage() -> impl IntoView {
    // Reached from other pages only (deleting a report lands here from its editor), so the
    // page mounts afresh and loads each time: nothing to track.
    let me = Resource::new(|| (), |()| dashboard());
    let query = use_query_map();
    let deleted = move || query.read().get("deleted").is_some();
    let over_limit = move || query.read().get("generate").is_some();
    let generate = ServerAction::<GenerateActivityReport>::new();
    let action = ServerAction::<SignOut>::new();

    view! {
        <Title text="Dashboard" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some((email, reports))) => {
                        view! {
                            <section class="panel" aria-labelledby="dashboard-title">
                                <h1 id="dashboard-title">"Dashboard"</h1>
                                <p>"Signed in as " <strong data-testid="signed-in-email">{email}</strong></p>
                                <ActionForm action>
                                    <SubmitButton label="Sign out" busy="Signing out…" class="secondary" />
                                </ActionForm>
                            </section>
                            <section class="panel" aria-labelledby="reports-title">
                                <h2 id="reports-title">"Reports"</h2>
                                <p role="status" class="notice" hidden=move || !deleted()>
                                    "The report is deleted, and every link to it revoked."
                                </p>
                                <p role="status" class="notice" hidden=move || !over_limit()>
                                    "You have generated several activity reports today; try again tomorrow."
                                </p>
                                <div class="actions">
                                    <a class="button" href="/reports/new">"New report"</a>
                                    <ActionForm action=generate>
                                        <SubmitButton label="Generate account activity report" busy="Queuing…" class="secondary" />
                                    </ActionForm>
                                </div>
                                <ReportList reports />
                            </section>
                        }
                            .into_any()
                    }
                    Ok(None) => view! { <Redirect path="/signin?next=/dashboard" /> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ReportList(reports: Vec<ReportSummary>) -> impl IntoView {
    if reports.is_empty() {
        return view! { <p class="hint">"No reports yet."</p> }.into_any();
    }
    view! {
        <ul class="report-list">
            {reports
                .into_iter()
                .map(|r| {
                    view! {
                        <li>
                            <a href=format!("/reports/{}", r.id)>{r.title}</a>
                            <span class="hint">{format!(" · updated {}", r.updated)}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
