//! `/settings`: the account's email address (and changing it), personal links (create,
//! copy, revoke), "sign out everywhere", the shares that outlive it, and the account's
//! recent security activity.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_query_map};
use serde::{Deserialize, Serialize};

use crate::components::SubmitButton;
use crate::pages::reports::Access;

/// A personal link in the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalLinkView {
    pub id: i64,
    pub name: String,
    /// Only for a session that confirmed recently: the URL is a credential.
    pub url: Option<String>,
    pub created: String,
    pub last_used: Option<String>,
}

/// A live share the account made, listed beside "sign out everywhere" (which keeps it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnShareView {
    pub id: i64,
    pub report_id: i64,
    pub report_title: String,
    /// The guest's address; `None` for a copied link.
    pub guest: Option<String>,
    pub expires: Option<String>,
}

/// One entry of the account's security activity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityView {
    pub when: String,
    pub what: String,
    /// "Firefox on Linux, 192.0.2.7".
    pub from: String,
}

/// What the settings page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub email: String,
    /// Signed in by email within the last few minutes: sensitive actions are allowed.
    pub confirmed: bool,
    pub links: Vec<PersonalLinkView>,
    pub shares: Vec<OwnShareView>,
    pub activity: Vec<ActivityView>,
}

/// How many of the latest security events the page lists.
#[cfg(feature = "ssr")]
const ACTIVITY_SHOWN: u64 = 30;

#[server(prefix = "/api", endpoint = "settings")]
pub async fn get_settings() -> Result<Access<Settings>, ServerFnError> {
    use std::time::SystemTime;

    use crate::mail::describe::browser;
    use crate::mail::describe::utc_time;
    use crate::request::{internal, services, session, signed_in_user};
    use crate::services::{activity, personal_links, sessions, shares};

    let Some(user) = signed_in_user().await? else {
        return Ok(Access::SignedOut);
    };
    let services = services()?;
    let now = SystemTime::now();
    let confirmed = sessions::recently_confirmed(&session().await?, now).await.map_err(internal)?;
    let links = personal_links::list(&services.personal_links, &user).await.map_err(internal)?;
    let shares = shares::live_of_owner(&services.shares, user.id, now).await.map_err(internal)?;
    let activity =
        activity::recent(&services.db, user.id, ACTIVITY_SHOWN).await.map_err(internal)?;
    Ok(Access::Granted(Settings {
        activity: activity
            .into_iter()
            .map(|entry| ActivityView {
                when: utc_time(entry.at),
                what: entry.what,
                from: format!(
                    "{}, {}",
                    browser(entry.user_agent.as_deref().unwrap_or_default()),
                    entry.ip.unwrap_or_else(|| "an unknown address".to_owned())
                ),
            })
            .collect(),
        shares: shares
            .into_iter()
            .map(|share| OwnShareView {
                id: share.id,
                report_id: share.report_id,
                report_title: share.report_title,
                guest: share.guest,
                expires: share.expires_at.map(utc_time),
            })
            .collect(),
        email: user.email,
        confirmed,
        links: links
            .into_iter()
            .map(|link| PersonalLinkView {
                id: link.id,
                name: link.name,
                url: confirmed.then_some(link.url),
                created: utc_time(link.created_at),
                last_used: link.last_used_at.map(utc_time),
            })
            .collect(),
    }))
}

/// The signed-in account, if its session signed in by email recently enough for a
/// sensitive action ("sudo mode"). Otherwise `None`, with the browser redirected: to sign
/// in, or back to Settings to confirm by email first.
#[cfg(feature = "ssr")]
async fn confirmed_user(
    now: std::time::SystemTime,
) -> Result<Option<crate::entities::user::Model>, ServerFnError> {
    use crate::request::{internal, redirect, session, signed_in_user};
    use crate::services::sessions;

    let Some(user) = signed_in_user().await? else {
        redirect("/signin?next=/settings");
        return Ok(None);
    };
    if !sessions::recently_confirmed(&session().await?, now).await.map_err(internal)? {
        redirect("/settings?confirm=1");
        return Ok(None);
    }
    Ok(Some(user))
}

/// Creates a personal link, after a recent confirmation by email (a standing credential).
#[server(prefix = "/api", endpoint = "settings/personal-links/create")]
pub async fn create_personal_link(name: String) -> Result<(), ServerFnError> {
    use crate::request::{internal, redirect, services};
    use crate::services::personal_links;

    let now = std::time::SystemTime::now();
    let Some(user) = confirmed_user(now).await? else { return Ok(()) };
    let services = services()?;
    match personal_links::create(&services.personal_links, &user, &name, now)
        .await
        .map_err(internal)?
    {
        Ok(link) => {
            tracing::info!(user = user.id, link = link.id, "personal link created");
            let event =
                crate::services::activity::Event::PersonalLinkCreated { name: link.name.clone() };
            crate::request::record_activity(&services, user.id, event).await;
            redirect(&format!("/settings?created={}", link.id));
        }
        Err(error) => {
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("error", &error.to_string())
                .finish();
            redirect(&format!("/settings?{query}"));
        }
    }
    Ok(())
}

#[server(prefix = "/api", endpoint = "settings/personal-links/revoke")]
pub async fn revoke_personal_link(id: i64, back: Option<String>) -> Result<(), ServerFnError> {
    use crate::request::{internal, redirect, services, signed_in_user};
    use crate::services::personal_links;

    let Some(user) = signed_in_user().await? else {
        redirect("/signin?next=/settings");
        return Ok(());
    };
    let services = services()?;
    if personal_links::revoke(&services.personal_links, user.id, id).await.map_err(internal)? {
        tracing::info!(user = user.id, link = id, "personal link revoked");
        let event = crate::services::activity::Event::PersonalLinkRevoked;
        crate::request::record_activity(&services, user.id, event).await;
    }
    if back.as_deref() == Some("access") {
        redirect(&format!("/access?revoked=personal-{id}"));
    } else {
        redirect("/settings?revoked=1");
    }
    Ok(())
}

/// Asks to change the account's address, after a recent confirmation by email. The page
/// answers "check your new address" whether or not that address has an account.
#[server(prefix = "/api", endpoint = "settings/email")]
pub async fn change_email(email: String) -> Result<(), ServerFnError> {
    use crate::request::{internal, redirect, services};
    use crate::services::email_change;

    let now = std::time::SystemTime::now();
    let Some(user) = confirmed_user(now).await? else { return Ok(()) };
    let services = services()?;
    let asked = email_change::request(&services.email_changes, &user, &email, now);
    let query = match asked.await.map_err(internal)? {
        Ok(new) => {
            tracing::info!(user = user.id, "email change asked for");
            let event =
                crate::services::activity::Event::EmailChangeAsked { to: new.as_str().to_owned() };
            crate::request::record_activity(&services, user.id, event).await;
            form_urlencoded::Serializer::new(String::new())
                .append_pair("email_sent", new.as_str())
                .finish()
        }
        Err(error) => form_urlencoded::Serializer::new(String::new())
            .append_pair("email_error", &error.to_string())
            .finish(),
    };
    redirect(&format!("/settings?{query}#email-title"));
    Ok(())
}

/// Sends the account's own address a sign-in email that comes back here: signing in with
/// it is the confirmation.
#[server(prefix = "/api", endpoint = "settings/confirm")]
pub async fn confirm_by_email() -> Result<(), ServerFnError> {
    use crate::request::{internal, origin, redirect, services, signed_in_user};
    use crate::services::sign_in::{self, Origin};

    let Some(user) = signed_in_user().await? else {
        redirect("/signin?next=/settings");
        return Ok(());
    };
    let services = services()?;
    let (client_ip, user_agent) = origin();
    let browser = crate::asking_browser::keep(&services);
    let origin = Origin { client_ip, user_agent: &user_agent, browser: Some(&browser) };
    let now = std::time::SystemTime::now();
    let requested =
        sign_in::request(&services.sign_in, &user.email, Some("/settings"), &origin, now)
            .await
            .map_err(internal)?;
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", &user.email)
        .append_pair("r", &requested.handle)
        .finish();
    redirect(&format!("/signin/check?{query}"));
    Ok(())
}

/// Ends every session of the account and revokes every link bound to it (sign-in, report
/// and personal links). Shares made by the account are not bound to it and keep working.
#[server(prefix = "/api", endpoint = "settings/sign-out-everywhere")]
pub async fn sign_out_everywhere() -> Result<(), ServerFnError> {
    use crate::request::{internal, redirect, services, session, signed_in_user};
    use crate::services::{security, sessions};

    let Some(user) = signed_in_user().await? else {
        redirect("/signin?next=/settings");
        return Ok(());
    };
    let services = services()?;
    security::sign_out_everywhere(&services.db, user.id).await.map_err(internal)?;
    sessions::sign_out(&session().await?).await.map_err(internal)?;
    tracing::info!(user = user.id, "signed out everywhere");
    let event = crate::services::activity::Event::SignedOutEverywhere;
    crate::request::record_activity(&services, user.id, event).await;
    redirect("/signin?signed_out=everywhere");
    Ok(())
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    // Every action here answers with a redirect back to this page (another query): load
    // again then, so a client-side navigation shows what changed.
    let search = use_location().search;
    let settings = Resource::new(move || search.get(), |_| get_settings());
    view! {
        <Title text="Settings" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(Access::Granted(settings)) => view! { <SettingsView settings /> }.into_any(),
                    Ok(Access::SignedOut | Access::NotFound) => {
                        view! { <Redirect path="/signin?next=/settings" /> }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SettingsView(settings: Settings) -> impl IntoView {
    let query = use_query_map();
    let get = move |key: &str| query.read().get(key);
    let notice = move || {
        if get("email_changed").is_some() {
            Some("Your email address is changed. Every other device is signed out.".to_owned())
        } else if get("share_revoked").is_some() {
            Some("The share is revoked: its link no longer opens the report.".to_owned())
        } else if get("revoked").is_some() {
            Some("The link is revoked. Any device it signed in is signed out.".to_owned())
        } else if get("created").is_some() {
            Some(
                "Your personal link is ready: copy it below and bookmark it on that device."
                    .to_owned(),
            )
        } else {
            None
        }
    };
    let error = move || get("error");
    let create = ServerAction::<CreatePersonalLink>::new();
    let confirm = ServerAction::<ConfirmByEmail>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    let asked_to_confirm = move || get("confirm").is_some();
    let confirmed = settings.confirmed;
    let change = ServerAction::<ChangeEmail>::new();
    let email_sent = move || {
        get("email_sent").map(|to| {
            format!(
                "Check your new address: we sent a confirmation link to {to}. Until you use it, your address stays as it is."
            )
        })
    };
    let email_error = move || get("email_error");

    view! {
        <section class="panel" aria-labelledby="settings-title">
            <h1 id="settings-title">"Settings"</h1>
            <p>"Signed in as " <strong>{settings.email.clone()}</strong></p>
            {(!confirmed)
                .then(|| {
                    view! {
                        <div class="stack">
                            <p class:notice=asked_to_confirm>
                                "Changing your email address, and creating or copying a personal link, need a recent sign-in by email. Confirm it's you: we'll email you a sign-in link that brings you back here, and these stay open for 10 minutes after you use it."
                            </p>
                            <ActionForm action=confirm>
                                <SubmitButton label="Email me a confirmation link" busy="Sending…" class="" />
                            </ActionForm>
                        </div>
                    }
                })}
        </section>
        <section class="panel" aria-labelledby="email-title">
            <h2 id="email-title">"Email address"</h2>
            <p>
                "We send a confirmation link to the new address, and tell the old one, which can cancel the change. Once you confirm, every device is signed out, and sign-in, report and personal links stop working; your shares keep working."
            </p>
            <p role="status" class="notice" hidden=move || email_sent().is_none()>{email_sent}</p>
            <p role="alert" class="error">{email_error}</p>
            {if confirmed {
                view! {
                    <ActionForm action=change attr:class="stack">
                        <label for="new-email">"New email address"</label>
                        <input id="new-email" name="email" type="email" required maxlength="254" autocomplete="email" />
                        <SubmitButton label="Change email address" busy="Sending…" class="" />
                    </ActionForm>
                }
                    .into_any()
            } else {
                view! { <p class="hint">"Confirm it's you (above) to change it."</p> }.into_any()
            }}
        </section>
        <section class="panel" aria-labelledby="personal-title">
            <h2 id="personal-title">"Personal links"</h2>
            <p>
                "A personal link signs you in on the device where you bookmark it, with no email. Each works until you revoke it, and revoking it signs that device out. Signing out everywhere revokes them all."
            </p>
            <p role="status" class="notice" hidden=move || notice().is_none()>{notice}</p>
            <p role="alert" class="error">{error}</p>
            {if confirmed {
                view! {
                    <ActionForm action=create attr:class="stack">
                        <label for="link-name">"Name"</label>
                        <input id="link-name" name="name" type="text" required maxlength="60" placeholder="Kitchen tablet" />
                        <SubmitButton label="Create personal link" busy="Creating…" class="" />
                    </ActionForm>
                }
                    .into_any()
            } else {
                view! { <p class="hint">"Confirm it's you (above) to create one."</p> }.into_any()
            }}
            <PersonalLinkList links=settings.links />
        </section>
        <section class="panel" aria-labelledby="everywhere-title">
            <h2 id="everywhere-title">"Sign out everywhere"</h2>
            <p>
                "Ends every session of your account, on every device, and revokes every sign-in link, report link and personal link you have. Reports you shared stay shared: revoke each below."
            </p>
            <ActionForm action=everywhere>
                <button type="submit" class="secondary danger">"Sign out everywhere"</button>
            </ActionForm>
            <OwnShareList shares=settings.shares />
        </section>
        <ActivityList activity=settings.activity />
    }
}

/// The account's latest security events, newest first.
#[component]
fn ActivityList(activity: Vec<ActivityView>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="activity-title">
            <h2 id="activity-title">"Recent security activity"</h2>
            <p class="hint">
                "Sign-ins, links and shares of your account, newest first. If you don't recognise one, sign out everywhere."
            </p>
            {if activity.is_empty() {
                view! { <p class="hint">"Nothing yet."</p> }.into_any()
            } else {
                view! {
                    <table class="links activity">
                        <caption class="visually-hidden">"Recent security activity"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"When"</th>
                                <th scope="col">"What"</th>
                                <th scope="col">"From"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {activity
                                .into_iter()
                                .map(|entry| {
                                    view! {
                                        <tr>
                                            <td>{entry.when}</td>
                                            <td>{entry.what}</td>
                                            <td>{entry.from}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
    }
}

/// Shares outlive "sign out everywhere", so they are listed beside it, each with its own
/// revoke.
#[component]
fn OwnShareList(shares: Vec<OwnShareView>) -> impl IntoView {
    if shares.is_empty() {
        return view! { <p class="hint">"You are not sharing any report."</p> }.into_any();
    }
    let revoke = ServerAction::<crate::pages::reports::RevokeShare>::new();
    view! {
        <h3 id="own-shares-title">"Reports you are sharing"</h3>
        <ul class="own-shares" aria-labelledby="own-shares-title">
            {shares
                .into_iter()
                .map(|share| {
                    let who = share.guest.unwrap_or_else(|| "anyone with the link".to_owned());
                    let until = share.expires.map_or_else(|| "until revoked".to_owned(), |at| format!("until {at}"));
                    view! {
                        <li>
                            <a href=format!("/reports/{}#sharing", share.report_id)>{share.report_title.clone()}</a>
                            {format!(" — with {who}, {until}. ")}
                            <ActionForm action=revoke attr:class="inline">
                                <input type="hidden" name="report" value=share.report_id.to_string() />
                                <input type="hidden" name="share" value=share.id.to_string() />
                                <input type="hidden" name="back" value="settings" />
                                <button type="submit" class="secondary">{format!("Revoke sharing of {}", share.report_title)}</button>
                            </ActionForm>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
        .into_any()
}

#[component]
fn PersonalLinkList(links: Vec<PersonalLinkView>) -> impl IntoView {
    if links.is_empty() {
        return view! { <p class="hint">"No personal links."</p> }.into_any();
    }
    let revoke = ServerAction::<RevokePersonalLink>::new();
    view! {
        <ul class="personal-links">
            {links
                .into_iter()
                .map(|link| {
                    let field = format!("personal-link-{}", link.id);
                    let used = link.last_used.map_or_else(|| "never used".to_owned(), |at| format!("last used {at}"));
                    view! {
                        <li>
                            <h3>{link.name.clone()}</h3>
                            <p class="hint">{format!("Created {}, {used}.", link.created)}</p>
                            {match link.url {
                                Some(url) => {
                                    view! {
                                        <label for=field.clone()>{format!("Link for {}", link.name)}</label>
                                        <input id=field type="text" readonly value=url class="copy" />
                                    }
                                        .into_any()
                                }
                                None => {
                                    view! { <p class="hint">"Confirm it's you (above) to see or copy this link."</p> }
                                        .into_any()
                                }
                            }}
                            <ActionForm action=revoke>
                                <input type="hidden" name="id" value=link.id.to_string() />
                                <button type="submit" class="secondary">{format!("Revoke {}", link.name)}</button>
                            </ActionForm>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
        .into_any()
}
