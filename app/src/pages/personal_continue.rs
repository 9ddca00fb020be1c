//! `/personal/continue`: a personal link opened from another site or an email. It shows
//! whose account the link opens and signs in only on the button's POST, so no page can
//! silently swap a visitor's session for another account.

use crate::components::SubmitButton;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// What the page may show about the link it was given.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum PersonalLinkPreview {
    Valid {
        masked_email: String,
        name: String,
        token: String,
    },
    /// Revoked, tampered with or signed out everywhere: which, only the log says.
    Invalid,
}

/// Looks at the link's token (from the cookie the link set) without signing in.
#[server(prefix = "/api", endpoint = "personal/check")]
pub async fn check_personal_link() -> Result<PersonalLinkPreview, ServerFnError> {
    use crate::link_cookie::PERSONAL;
    use crate::request::{cookie, internal, services};
    use crate::services::personal_links;

    let services = services()?;
    let name = PERSONAL.name(services.settings.secure_cookies);
    let Some(token) = cookie(name).filter(|t| !t.is_empty()) else {
        return Ok(PersonalLinkPreview::Invalid);
    };
    let now = std::time::SystemTime::now();
    let checked =
        personal_links::check(&services.personal_links, &token, now).await.map_err(internal)?;
    Ok(match checked {
        Ok(preview) => PersonalLinkPreview::Valid {
            masked_email: preview.masked_email,
            name: preview.name,
            token,
        },
        Err(rejection) => {
            tracing::debug!(%rejection, "personal link refused");
            PersonalLinkPreview::Invalid
        }
    })
}

/// Signs in with the link (a POST, from the "Continue" button).
#[server(prefix = "/api", endpoint = "personal/sign-in")]
pub async fn sign_in_with_personal_link(token: String) -> Result<(), ServerFnError> {
    use crate::link_cookie::PERSONAL;
    use crate::request::{current_session_id, internal, redirect, send_cookie, services};
    use crate::services::{personal_links, sessions};

    let services = services()?;
    let now = std::time::SystemTime::now();
    let current = current_session_id().await?;
    let from = crate::request::activity_origin();
    let links = &services.personal_links;
    let signed_in = personal_links::sign_in(links, &token, &from, current.as_deref(), now);
    match signed_in.await.map_err(internal)? {
        Ok(signed_in) => {
            send_cookie(sessions::cookie(&signed_in.session_id, &services.settings));
            send_cookie(PERSONAL.clear(services.settings.secure_cookies));
            tracing::info!(user = signed_in.user_id, "signed in with a personal link");
            redirect("/dashboard");
        }
        Err(rejection) => {
            tracing::debug!(%rejection, "personal link refused");
            redirect("/personal/continue");
        }
    }
    Ok(())
}

#[component]
pub fn PersonalContinuePage() -> impl IntoView {
    let preview = Resource::new(|| (), |()| check_personal_link());
    let action = ServerAction::<SignInWithPersonalLink>::new();
    view! {
        <Suspense fallback=|| view! { <p>"Checking your link…"</p> }>
            {move || Suspend::new(async move {
                match preview.await {
                    Ok(PersonalLinkPreview::Valid { masked_email, name, token }) => {
                        view! {
                            <Title text="Continue signing in" />
                            <section class="panel narrow" aria-labelledby="continue-title">
                                <h1 id="continue-title">{format!("Continue as {masked_email}")}</h1>
                                <p>{format!("This is the personal link “{name}”. It signs you in to Latchkey on this device.")}</p>
                                <ActionForm action attr:class="stack">
                                    <input type="hidden" name="token" value=token />
                                    <SubmitButton label="Continue" busy="Signing in…" class="" />
                                </ActionForm>
                            </section>
                        }
                            .into_any()
                    }
                    Ok(PersonalLinkPreview::Invalid) | Err(_) => {
                        view! {
                            <Title text="This link no longer works" />
                            <section class="panel narrow" aria-labelledby="dead-title">
                                <h1 id="dead-title">"This link no longer works"</h1>
                                <p>"It was revoked, or its account signed out everywhere. Sign in by email, then create a new personal link in Settings."</p>
                                <p><a href="/signin?next=/settings">"Sign in"</a></p>
                            </section>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}
