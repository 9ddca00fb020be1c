//! `/reports/:id/view?token=…`: a report opened with an emailed link. Read-only, signs
//! nobody in, and shows nothing else of the account. The token stays in the URL (the link
//! is the credential); the page is not stored and sends no referrer (see the server's
//! headers).

use leptos::prelude::*;
use leptos_meta::{Meta, Title};

use super::summary::LinkedReport;

/// What the page shows. The server loads it before rendering ([`load_report_link`]) and
/// hands it to the render as context: a read-only page has nothing to wait for once it
/// is known, and rendering it through a resource and `<Suspense>` cost a fifth to a third
/// of its time (see `bench/README.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportLinkView {
    Open(LinkedReport),
    /// One answer for every link that does not work (the reason goes to the log).
    DoesNotWork,
    /// The database failed: not the link's fault.
    Unavailable,
}

#[cfg(feature = "ssr")]
impl ReportLinkView {
    pub fn status(&self) -> http::StatusCode {
        match self {
            Self::Open(_) => http::StatusCode::OK,
            Self::DoesNotWork => http::StatusCode::NOT_FOUND,
            Self::Unavailable => http::StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// Opens the report link `token` for report `report_id`, counting the visit.
#[cfg(feature = "ssr")]
pub async fn load_report_link(
    reports: &crate::services::reports::Reports,
    report_id: i64,
    token: &str,
    visit: crate::services::reports::Visit,
    now: std::time::SystemTime,
) -> ReportLinkView {
    use crate::mail::describe::utc_time;
    use crate::services::reports::{self, LinkReading};

    match reports::read_link(reports, report_id, token, visit, now).await {
        LinkReading::Open(view) => ReportLinkView::Open(LinkedReport {
            title: view.title,
            body_html: view.body_html,
            updated: utc_time(view.updated_at),
            expires: view.link_expires_at.map(utc_time),
        }),
        LinkReading::DoesNotWork => ReportLinkView::DoesNotWork,
        LinkReading::Unavailable => ReportLinkView::Unavailable,
    }
}

/// `/reports/:id/view?token=…`, rendered by the server with the [`ReportLinkView`] it loaded.
#[component]
pub fn ReportLinkPage() -> impl IntoView {
    // Missing only when the router matched a path the server did not route here (a
    // trailing slash): no link is opened then.
    let view = use_context::<ReportLinkView>().unwrap_or(ReportLinkView::DoesNotWork);
    view! {
        // The URL holds a credential: no search engine may keep it.
        <Meta name="robots" content="noindex, nofollow" />
        {match view {
            ReportLinkView::Open(report) => {
                let lifetime = match report.expires {
                    Some(at) => format!("This link works until {at}."),
                    None => "This link works until it is revoked.".to_owned(),
                };
                view! {
                    <Title text=report.title.clone() />
                    <article class="panel report" aria-labelledby="report-title">
                        <p class="notice">"Opened with a link from an email: read-only. You are not signed in."</p>
                        <h1 id="report-title">{report.title}</h1>
                        <p class="hint">{format!("Updated {}. {lifetime}", report.updated)}</p>
                        <div class="report-body" inner_html=report.body_html></div>
                    </article>
                }
                    .into_any()
            }
            ReportLinkView::DoesNotWork => view! { <LinkDoesNotWork /> }.into_any(),
            ReportLinkView::Unavailable => view! { <Unavailable /> }.into_any(),
        }}
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
