//! The two links an email change sends. `/email/confirm` (to the new address) and
//! `/email/undo` ("this wasn't me", to the old one) each show what the link would do and act
//! only on the button's POST, so a mail scanner that fetches links changes nothing.

use crate::components::SubmitButton;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// What a link's page may say before the button is pressed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkState {
    /// The change to confirm.
    Confirm { masked_old: String, new_email: String },
    /// The change to undo.
    Undo { old_email: String, masked_new: String, confirmed: bool },
    /// Genuine, but used already, undone or expired.
    Gone,
    /// The new address has an account since the change was asked for.
    Taken,
    /// Anything else (tampered, replaced by a later change): which, only the log says.
    Invalid,
}

#[cfg(feature = "ssr")]
fn state_of(refusal: crate::services::email_change::Refusal) -> LinkState {
    use crate::services::email_change::Refusal;
    match refusal {
        Refusal::Invalid(rejection) => {
            tracing::debug!(%rejection, "email-change link refused");
            LinkState::Invalid
        }
        Refusal::Gone(_) => LinkState::Gone,
        Refusal::Taken => LinkState::Taken,
    }
}

#[cfg(feature = "ssr")]
fn set_status_of(state: &LinkState) {
    use crate::request::set_status;
    match state {
        LinkState::Gone => set_status(http::StatusCode::GONE),
        LinkState::Taken => set_status(http::StatusCode::CONFLICT),
        LinkState::Invalid => set_status(http::StatusCode::NOT_FOUND),
        LinkState::Confirm { .. } | LinkState::Undo { .. } => {}
    }
}

#[server(prefix = "/api", endpoint = "email/check")]
pub async fn check_email_link(token: String, undo: bool) -> Result<LinkState, ServerFnError> {
    use crate::request::{internal, services};
    use crate::services::email_change;

    let services = services()?;
    let now = std::time::SystemTime::now();
    let changes = &services.email_changes;
    let state = if undo {
        match email_change::check_undo(changes, &token, now).await.map_err(internal)? {
            Ok(undoable) => LinkState::Undo {
                old_email: undoable.old_email,
                masked_new: undoable.masked_new,
                confirmed: undoable.confirmed,
            },
            Err(refusal) => state_of(refusal),
        }
    } else {
        match email_change::check(changes, &token, now).await.map_err(internal)? {
            Ok(pending) => {
                LinkState::Confirm { masked_old: pending.masked_old, new_email: pending.new_email }
            }
            Err(refusal) => state_of(refusal),
        }
    };
    set_status_of(&state);
    Ok(state)
}

/// Confirms the change (the button's POST) and signs this browser in under the new address.
#[server(prefix = "/api", endpoint = "email/confirm")]
pub async fn confirm_email_change(token: String) -> Result<(), ServerFnError> {
    use crate::request::{current_session_id, internal, redirect, send_cookie, services};
    use crate::services::activity::Event;
    use crate::services::{email_change, sessions};

    let services = services()?;
    let now = std::time::SystemTime::now();
    let current = current_session_id().await?;
    let confirmed = email_change::confirm(&services.email_changes, &token, current.as_deref(), now);
    match confirmed.await.map_err(internal)? {
        Ok(confirmed) => {
            send_cookie(sessions::cookie(&confirmed.session_id, &services.settings));
            tracing::info!(user = confirmed.user_id, "email address changed");
            let event = Event::EmailChanged { to: confirmed.new_email };
            crate::request::record_activity(&services, confirmed.user_id, event).await;
            redirect("/settings?email_changed=1#email-title");
        }
        Err(refusal) => {
            let state = state_of(refusal);
            let query = match state {
                LinkState::Taken => "taken",
                LinkState::Gone => "gone",
                _ => "invalid",
            };
            redirect(&format!("/email/confirm?failed={query}"));
        }
    }
    Ok(())
}

/// "This wasn't me" (the button's POST): cancels or reverts the change and signs out
/// everywhere.
#[server(prefix = "/api", endpoint = "email/undo")]
pub async fn undo_email_change(token: String) -> Result<(), ServerFnError> {
    use crate::request::{internal, redirect, services, session};
    use crate::services::activity::Event;
    use crate::services::email_change::{self, UndoOutcome};
    use crate::services::sessions;

    let services = services()?;
    let now = std::time::SystemTime::now();
    match email_change::undo(&services.email_changes, &token, now).await.map_err(internal)? {
        Ok(undone) => {
            // Whatever this browser was signed in as, its session is over too.
            sessions::sign_out(&session().await?).await.map_err(internal)?;
            tracing::info!(user = undone.user_id, outcome = ?undone.outcome, "email change undone");
            let event = Event::EmailChangeUndone { to: undone.new_email };
            crate::request::record_activity(&services, undone.user_id, event).await;
            let done = match undone.outcome {
                UndoOutcome::Cancelled => "cancelled",
                UndoOutcome::Reverted => "reverted",
                UndoOutcome::Deactivated => "locked",
            };
            redirect(&format!("/email/undo?done={done}"));
        }
        Err(refusal) => {
            let failed = if state_of(refusal) == LinkState::Gone { "gone" } else { "invalid" };
            redirect(&format!("/email/undo?failed={failed}"));
        }
    }
    Ok(())
}

/// The page's answer after the POST, from the query it redirected to.
fn outcome_of(query: &leptos_router::params::ParamsMap) -> Option<LinkState> {
    match query.get("failed").as_deref() {
        Some("taken") => Some(LinkState::Taken),
        Some("gone") => Some(LinkState::Gone),
        Some(_) => Some(LinkState::Invalid),
        None => None,
    }
}

#[component]
pub fn EmailConfirmPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let failed = move || outcome_of(&query.read());
    let state = Resource::new(
        move || (token(), failed()),
        |(token, failed)| async move {
            match failed {
                Some(state) => Ok(state),
                None => check_email_link(token, false).await,
            }
        },
    );
    let action = ServerAction::<ConfirmEmailChange>::new();
    view! {
        <Meta name="robots" content="noindex, nofollow" />
        <Suspense fallback=|| view! { <p>"Checking your link…"</p> }>
            {move || Suspend::new(async move {
                match state.await {
                    Ok(LinkState::Confirm { masked_old, new_email }) => {
                        view! {
                            <Title text="Confirm your new email address" />
                            <section class="panel narrow" aria-labelledby="confirm-title">
                                <h1 id="confirm-title">"Confirm your new email address"</h1>
                                <p>{format!("The account {masked_old} will use {new_email} from now on. Every device signed in to it is signed out, and this browser is signed in under the new address.")}</p>
                                <ActionForm action attr:class="stack">
                                    <input type="hidden" name="token" value=token() />
                                    <SubmitButton label="Confirm new address" busy="Confirming…" class="" />
                                </ActionForm>
                            </section>
                        }
                            .into_any()
                    }
                    Ok(LinkState::Taken) => view! {
                        <Dead
                            title="That address has an account now"
                            text="Someone signed up with this address after the change was asked for, so it cannot move to this account. Nothing changed."
                        />
                    }
                        .into_any(),
                    Ok(LinkState::Gone) => view! {
                        <Dead
                            title="This link has been used or has expired"
                            text="Each confirmation link works once, and not for long. If the address has not changed, sign in and ask again from Settings."
                        />
                    }
                        .into_any(),
                    _ => view! {
                        <Dead
                            title="This link no longer works"
                            text="A later change, or signing out everywhere, replaced it. Sign in and ask again from Settings."
                        />
                    }
                        .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn EmailUndoPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let failed = move || outcome_of(&query.read());
    let done = move || query.read().get("done");
    let state = Resource::new(
        move || (token(), failed(), done()),
        |(token, failed, done)| async move {
            match (failed, done) {
                (Some(state), _) => Ok(state),
                // Shown from the query below; no link to check.
                (None, Some(_)) => Ok(LinkState::Invalid),
                (None, None) => check_email_link(token, true).await,
            }
        },
    );
    let action = ServerAction::<UndoEmailChange>::new();
    view! {
        <Meta name="robots" content="noindex, nofollow" />
        <Suspense fallback=|| view! { <p>"Checking your link…"</p> }>
            {move || Suspend::new(async move {
                let state = state.await;
                if let Some(done) = done() {
                    let text = match done.as_str() {
                        "reverted" => "Your old address is back, and every device is signed out. Sign in with it, and check your account's security activity.",
                        "locked" => "Every device is signed out. Your old address has another account now, so it could not come back: the account is locked until the site's operator restores it.",
                        _ => "The change is cancelled and every device is signed out. Sign in again with your address.",
                    };
                    return view! {
                        <Title text="The change is undone" />
                        <section class="panel narrow" aria-labelledby="undone-title">
                            <h1 id="undone-title">"The change is undone"</h1>
                            <p role="status">{text}</p>
                            <p><a href="/signin">"Sign in"</a></p>
                        </section>
                    }
                        .into_any();
                }
                match state {
                    Ok(LinkState::Undo { old_email, masked_new, confirmed }) => {
                        let what = if confirmed {
                            format!("Your account's address was changed to {masked_new}. This puts {old_email} back and signs your account out on every device.")
                        } else {
                            format!("Someone asked to change your account's address to {masked_new}. This cancels it and signs your account out on every device.")
                        };
                        view! {
                            <Title text="This wasn't me" />
                            <section class="panel narrow" aria-labelledby="undo-title">
                                <h1 id="undo-title">"Undo the change of address"</h1>
                                <p>{what}</p>
                                <ActionForm action attr:class="stack">
                                    <input type="hidden" name="token" value=token() />
                                    <SubmitButton label="Undo and sign out everywhere" busy="Undoing…" class="secondary danger" />
                                </ActionForm>
                            </section>
                        }
                            .into_any()
                    }
                    Ok(LinkState::Gone) => view! {
                        <Dead
                            title="This change is already settled"
                            text="It was undone already, replaced by a later request, or the link expired. If you still see an address you don't know in Settings, sign in and sign out everywhere."
                        />
                    }
                        .into_any(),
                    _ => view! {
                        <Dead
                            title="This link no longer works"
                            text="If you still see an address you don't know in Settings, sign in and sign out everywhere."
                        />
                    }
                        .into_any(),
                }
            })}
        </Suspense>
    }
}

/// A link that does nothing any more.
#[component]
fn Dead(title: &'static str, text: &'static str) -> impl IntoView {
    view! {
        <Title text=title />
        <section class="panel narrow" aria-labelledby="dead-title">
            <h1 id="dead-title">{title}</h1>
            <p>{text}</p>
            <p><a href="/signin">"Sign in"</a></p>
        </section>
    }
}
