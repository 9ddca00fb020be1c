//! `/access`: every live credential of the account in one place (sessions, report links,
//! personal links and shares), each with its own revoke, and "sign out everywhere".

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_query_map};
use serde::{Deserialize, Serialize};

use crate::pages::reports::{Access, RevokeReportLink, RevokeShare};
use crate::pages::settings::{RevokePersonalLink, SignOutEverywhere};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub handle: String,
    /// "Firefox on Linux, 192.0.2.7".
    pub from: String,
    pub signed_in: String,
    pub seen: String,
    pub by_personal_link: bool,
    pub this_device: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialView {
    pub id: i64,
    pub report_id: i64,
    /// What it is: "Link to “Q3”", "Kitchen tablet", "“Q3” with bob@example.com".
    pub what: String,
    pub created: Option<String>,
    /// When it stops working; `None`: when revoked.
    pub expires: Option<String>,
}

/// Everything that can open the account or its reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessList {
    pub sessions: Vec<SessionView>,
    pub report_links: Vec<CredentialView>,
    pub personal_links: Vec<CredentialView>,
    pub shares: Vec<CredentialView>,
}

#[server(prefix = "/api", endpoint = "access")]
pub async fn get_access() -> Result<Access<AccessList>, ServerFnError> {
    use std::time::SystemTime;

    use crate::mail::describe::{browser, utc_time};
    use crate::request::{current_session_id, internal, services, signed_in_user};
    use crate::services::{personal_links, reports, sessions, shares};

    let Some(user) = signed_in_user().await? else {
        return Ok(Access::SignedOut);
    };
    let services = services()?;
    let now = SystemTime::now();
    let current = current_session_id().await?;
    let live = sessions::of_account(&services.sessions, &user, current.as_deref(), now);
    let links = reports::live_links_of_owner(&services.reports, user.id, now);
    let personal = personal_links::list(&services.personal_links, &user);
    let shared = shares::live_of_owner(&services.shares, user.id, now);
    let (live, links, personal, shared) =
        tokio::try_join!(live, links, personal, shared).map_err(internal)?;
    Ok(Access::Granted(AccessList {
        sessions: live
            .into_iter()
            .map(|s| SessionView {
                handle: s.handle,
                from: match s.seen_from {
                    Some(from) => format!("{}, {}", browser(&from.user_agent), from.ip),
                    None => "not seen since signing in".to_owned(),
                },
                signed_in: utc_time(s.signed_in_at),
                seen: utc_time(s.seen_at),
                by_personal_link: s.by_personal_link,
                this_device: s.this_device,
            })
            .collect(),
        report_links: links
            .into_iter()
            .map(|(link, report_id, title)| CredentialView {
                id: link.id,
                report_id,
                what: format!("Link to “{title}”"),
                created: Some(utc_time(link.created_at)),
                expires: link.expires_at.map(utc_time),
            })
            .collect(),
        personal_links: personal
            .into_iter()
            .map(|link| CredentialView {
                id: link.id,
                report_id: 0,
                what: link.name,
                created: Some(utc_time(link.created_at)),
                expires: None,
            })
            .collect(),
        shares: shared
            .into_iter()
            .map(|share| CredentialView {
                id: share.id,
                report_id: share.report_id,
                what: match share.guest {
                    Some(guest) => format!("“{}” with {guest}", share.report_title),
                    None => format!("“{}”, anyone with the link", share.report_title),
                },
                created: Some(utc_time(share.created_at)),
                expires: share.expires_at.map(utc_time),
            })
            .collect(),
    }))
}

/// Ends one of the account's sessions (this browser's too, which then signs out).
#[server(prefix = "/api", endpoint = "access/end-session")]
pub async fn end_session(handle: String) -> Result<(), ServerFnError> {
    use crate::request::{
        current_session_id, internal, redirect, services, session, signed_in_user,
    };
    use crate::services::sessions;

    let Some(user) = signed_in_user().await? else {
        redirect("/signin?next=/access");
        return Ok(());
    };
    if !sessions::is_handle(&handle) {
        redirect("/access");
        return Ok(());
    }
    let services = services()?;
    // This browser's own session is ended through the session layer, which would
    // otherwise write back the record it holds for this request.
    let own = current_session_id().await?.is_some_and(|id| sessions::is_handle_of(&handle, &id));
    if own {
        sessions::sign_out(&session().await?).await.map_err(internal)?;
        redirect("/signin?signed_out=1");
        return Ok(());
    }
    if sessions::end(&services.sessions, user.id, &handle).await.map_err(internal)? {
        tracing::info!(user = user.id, "session ended from the Access page");
        let event = crate::services::activity::Event::SessionEnded;
        crate::request::record_activity(&services, user.id, event).await;
    }
    redirect(&format!("/access?revoked=session-{handle}"));
    Ok(())
}

#[component]
pub fn AccessPage() -> impl IntoView {
    // Every revoke answers with a redirect back here (another query): load again then.
    let search = use_location().search;
    let access = Resource::new(move || search.get(), |_| get_access());
    view! {
        <Title text="Access" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match access.await {
                    Ok(Access::Granted(list)) => view! { <AccessView list /> }.into_any(),
                    Ok(Access::SignedOut | Access::NotFound) => {
                        view! { <Redirect path="/signin?next=/access" /> }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AccessView(list: AccessList) -> impl IntoView {
    let query = use_query_map();
    let revoked = move || query.read().get("revoked").map(|_| "Revoked: it no longer works.");
    let end = ServerAction::<EndSession>::new();
    let revoke_link = ServerAction::<RevokeReportLink>::new();
    let revoke_personal = ServerAction::<RevokePersonalLink>::new();
    let revoke_share = ServerAction::<RevokeShare>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    view! {
        <section class="panel" aria-labelledby="access-title">
            <h1 id="access-title">"Access"</h1>
            <p>"Everything that can open your account or your reports. Revoke what you don't recognise."</p>
            <p role="status" class="notice" hidden=move || revoked().is_none()>{revoked}</p>
        </section>
        <section class="panel" aria-labelledby="sessions-title">
            <h2 id="sessions-title">"Signed-in browsers"</h2>
            <ul class="credentials">
                {list
                    .sessions
                    .into_iter()
                    .map(|s| {
                        let label = if s.this_device { "Sign out this browser" } else { "Sign out" };
                        let how = if s.by_personal_link { "a personal link" } else { "email" };
                        view! {
                            <li>
                                <strong>{s.from.clone()}</strong>
                                {s.this_device.then(|| view! { " " <span class="badge">"This device"</span> })}
                                <p class="hint">
                                    {format!("Signed in by {how} {}, last seen {}.", s.signed_in, s.seen)}
                                </p>
                                <ActionForm action=end>
                                    <input type="hidden" name="handle" value=s.handle.clone() />
                                    <button type="submit" class="secondary">{label}</button>
                                </ActionForm>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
        <Credentials
            id="report-links"
            title="Report links"
            empty="No live report links."
            items=list.report_links
            revoke=move |item: CredentialView| {
                let (report, link) = (item.report_id.to_string(), item.id.to_string());
                let label = format!("Revoke {}", item.what);
                view! {
                    <ActionForm action=revoke_link>
                        <input type="hidden" name="report" value=report />
                        <input type="hidden" name="link" value=link />
                        <input type="hidden" name="back" value="access" />
                        <button type="submit" class="secondary">{label}</button>
                    </ActionForm>
                }
                    .into_any()
            }
        />
        <Credentials
            id="personal-links"
            title="Personal links"
            empty="No personal links."
            items=list.personal_links
            revoke=move |item: CredentialView| {
                let (id, label) = (item.id.to_string(), format!("Revoke {}", item.what));
                view! {
                    <ActionForm action=revoke_personal>
                        <input type="hidden" name="id" value=id />
                        <input type="hidden" name="back" value="access" />
                        <button type="submit" class="secondary">{label}</button>
                    </ActionForm>
                }
                    .into_any()
            }
        />
        <Credentials
            id="shares"
            title="Shares you made"
            empty="You are not sharing any report."
            items=list.shares
            revoke=move |item: CredentialView| {
                let (report, share) = (item.report_id.to_string(), item.id.to_string());
                let label = format!("Stop sharing {}", item.what);
                view! {
                    <ActionForm action=revoke_share>
                        <input type="hidden" name="report" value=report />
                        <input type="hidden" name="share" value=share />
                        <input type="hidden" name="back" value="access" />
                        <button type="submit" class="secondary">{label}</button>
                    </ActionForm>
                }
                    .into_any()
            }
        />
        <section class="panel" aria-labelledby="everywhere-title">
            <h2 id="everywhere-title">"Sign out everywhere"</h2>
            <p>
                "Ends every session above and revokes every report link and personal link. Shares stay: stop each above."
            </p>
            <ActionForm action=everywhere>
                <button type="submit" class="secondary danger">"Sign out everywhere"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Credentials<F>(
    id: &'static str,
    title: &'static str,
    empty: &'static str,
    items: Vec<CredentialView>,
    revoke: F,
) -> impl IntoView
where
    F: Fn(CredentialView) -> AnyView + 'static,
{
    let heading = format!("{id}-title");
    let labelled_by = heading.clone();
    view! {
        <section class="panel" aria-labelledby=labelled_by>
            <h2 id=heading>{title}</h2>
            {if items.is_empty() {
                view! { <p class="hint">{empty}</p> }.into_any()
            } else {
                view! {
                    <ul class="credentials">
                        {items
                            .iter()
                            .map(|item| {
                                let created = item.created.clone().map(|c| format!("Created {c}. ")).unwrap_or_default();
                                let until = item.expires.clone().map_or_else(|| "Works until revoked.".to_owned(), |at| format!("Works until {at}."));
                                view! {
                                    <li>
                                        <strong>{item.what.clone()}</strong>
                                        <p class="hint">{format!("{created}{until}")}</p>
                                        {revoke(item.clone())}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}
