//! `/reports/new` and `/reports/:id/edit`: a title and a Markdown body.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_params_map;

use super::summary::Access;
use super::view::get_report;

/// Saves a report (a new one when `id` is absent) and goes to it. A draft that cannot be
/// saved is answered with the reason, which the form's island shows. Without JavaScript
/// that answer would reach the browser as bare text, so the form's own `required`,
/// `pattern` and `maxlength` stop every such draft a person can type before it is sent.
/// A report that is not the user's is answered with its 404 page.
#[server(prefix = "/api", endpoint = "reports/save")]
pub async fn save_report(
    id: Option<i64>,
    title: String,
    body: String,
) -> Result<Option<String>, ServerFnError> {
    use std::time::SystemTime;

    use crate::request::{internal, redirect, services, signed_in_user};
    use crate::services::reports::{self, Draft};

    let Some(user) = signed_in_user().await? else {
        redirect("/signin?next=/dashboard");
        return Ok(None);
    };
    let draft = match Draft::parse(&title, &body) {
        Ok(draft) => draft,
        Err(error) => return Ok(Some(error.to_string())),
    };
    let services = services()?;
    let now = SystemTime::now();
    let saved = match id {
        None => Some(reports::create(&services.reports, user.id, &draft, now).await),
        Some(id) => reports::update(&services.reports, user.id, id, &draft, now).await.transpose(),
    };
    match saved.transpose().map_err(internal)? {
        Some(report) => redirect(&format!("/reports/{}", report.id)),
        None => redirect(&format!("/reports/{}", id.unwrap_or_default())),
    }
    Ok(None)
}

/// Deletes a report and every link to it.
#[server(prefix = "/api", endpoint = "reports/delete")]
pub async fn delete_report(id: i64) -> Result<(), ServerFnError> {
    use crate::request::{internal, redirect, services, signed_in_user};
    use crate::services::reports;

    let Some(user) = signed_in_user().await? else {
        redirect("/signin?next=/dashboard");
        return Ok(());
    };
    let services = services()?;
    reports::delete(&services.reports, user.id, id).await.map_err(internal)?;
    redirect("/dashboard?deleted=1");
    Ok(())
}

/// `/reports/new`.
#[component]
pub fn NewReportPage() -> impl IntoView {
    let me = Resource::new(|| (), |()| crate::pages::dashboard::current_user());
    view! {
        <Title text="New report" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(_)) => view! { <ReportForm id=None title=String::new() body=String::new() /> }.into_any(),
                    Ok(None) => view! { <Redirect path="/signin?next=/reports/new" /> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `/reports/:id/edit`.
#[component]
pub fn EditReportPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|id| id.parse::<i64>().ok());
    let report = Resource::new(id, |id| get_report(id.unwrap_or(0)));
    view! {
        <Title text="Edit report" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(Access::Granted(report)) if report.generated.is_some() => {
                        let id = report.id;
                        view! {
                            <section class="panel" aria-labelledby="editor-title">
                                <h1 id="editor-title">{report.title.clone()}</h1>
                                <p>"This report was generated from your account's activity, so it cannot be edited. Generate a new one from the dashboard to bring it up to date."</p>
                            </section>
                            <DeleteReport id />
                        }
                            .into_any()
                    }
                    Ok(Access::Granted(report)) => {
                        let id = report.id;
                        view! {
                            <ReportForm id=Some(report.id) title=report.title body=report.markdown />
                            <DeleteReport id />
                        }
                            .into_any()
                    }
                    Ok(Access::SignedOut) => view! { <Redirect path="/signin?next=/dashboard" /> }.into_any(),
                    Ok(Access::NotFound) => view! { <crate::pages::NotFound /> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The title and body, and their save button: an island, so that a draft the server refuses
/// is answered on the page, with the draft still in the form. Without the wasm it posts
/// like any form, and the browser checks the same rules first.
#[island]
fn ReportForm(
    /// The report being edited; `None` for a new one.
    id: Option<i64>,
    title: String,
    /// The Markdown source.
    body: String,
) -> impl IntoView {
    let action = ServerAction::<SaveReport>::new();
    let pending = action.pending();
    let failed = move || match action.value().get() {
        Some(Ok(refused)) => refused,
        Some(Err(e)) => Some(e.to_string()),
        None => None,
    };
    let heading = if id.is_some() { "Edit report" } else { "New report" };
    view! {
        <section class="panel" aria-labelledby="editor-title">
            <h1 id="editor-title">{heading}</h1>
            <ActionForm action attr:class="stack">
                {id.map(|id| view! { <input type="hidden" name="id" value=id.to_string() /> })}
                <label for="report-title">"Title"</label>
                // `pattern`: a title of spaces is stopped before it is sent, JavaScript or
                // not (`[\s\S]`, not `.`: a pasted title may hold a line separator).
                <input
                    id="report-title"
                    name="title"
                    type="text"
                    required
                    maxlength="200"
                    pattern="[\\s\\S]*\\S[\\s\\S]*"
                    title="Give the report a title."
                    value=title
                />
                <label for="report-body">"Report (Markdown)"</label>
                <textarea id="report-body" name="body" rows="16" maxlength="100000" aria-describedby="body-hint">
                    {body}
                </textarea>
                <p id="body-hint" class="hint">
                    "Headings, lists, links, tables and emphasis are kept; scripts and styles are removed."
                </p>
                <button type="submit" disabled=move || pending.get()>
                    {move || if pending.get() { "Saving…" } else { "Save report" }}
                </button>
                <p class="error" role="alert">{failed}</p>
            </ActionForm>
        </section>
    }
}

#[component]
fn DeleteReport(id: i64) -> impl IntoView {
    let action = ServerAction::<DeleteReport>::new();
    view! {
        <section class="panel" aria-labelledby="delete-title">
            <h2 id="delete-title">"Delete this report"</h2>
            <p>"Deleting it also revokes every link to it, at once. This cannot be undone."</p>
            <ActionForm action>
                <input type="hidden" name="id" value=id.to_string() />
                <button type="submit" class="secondary danger">"Delete report"</button>
            </ActionForm>
        </section>
    }
}
