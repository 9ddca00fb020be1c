use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::components::EmailForm;

/// What the landing page may show about the link it was given.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum LinkPreview {
    /// It would sign in as this (masked) address.
    Valid { masked_email: String, token: String },
    /// Used, expired, tampered with or revoked: which, only the log says.
    Invalid,
}

/// Looks at the link's token (from the cookie the link set) without spending it: GET and
/// HEAD never redeem, so mail scanners that open links cannot burn them.
#[server(prefix = "/api", endpoint = "sign-in/link/check")]
pub async fn check_sign_in_link() -> Result<LinkPreview, ServerFnError> {
    use crate::request::{cookie, internal, services};
    use crate::services::sign_in;

    let Some(token) = cookie(crate::link_cookie::SIGN_IN.name).filter(|t| !t.is_empty()) else {
        return Ok(LinkPreview::Invalid);
    };
    let services = services()?;
    let checked = sign_in::check_link(&services.sign_in, &token, std::time::SystemTime::now())
        .await
        .map_err(internal)?;
    Ok(match checked {
        Ok(masked_email) => LinkPreview::Valid { masked_email, token },
        Err(rejection) => {
            tracing::debug!(%rejection, "sign-in link refused");
            LinkPreview::Invalid
        }
    })
}

/// Spends the link and signs in (a POST, from the "Continue" button).
#[server(prefix = "/api", endpoint = "sign-in/link")]
pub async fn redeem_sign_in_link(token: String) -> Result<(), ServerFnError> {
    use std::time::SystemTime;

    use crate::request::{
        current_session_id, internal, redirect, send_cookie, send_session_cookie, services,
    };
    use crate::services::sign_in;

    let services = services()?;
    let now = SystemTime::now();
    let current = current_session_id().await?;
    let redeemed = sign_in::redeem_link(&services.sign_in, &token, current.as_deref(), now);
    match redeemed.await.map_err(internal)? {
        Ok(signed_in) => {
            send_session_cookie(&signed_in, &services);
            send_cookie(crate::link_cookie::SIGN_IN.clear(services.settings.secure_cookies));
            tracing::info!(user = signed_in.user_id, "signed in with a link");
            let event = crate::services::activity::Event::SignedInWithLink;
            crate::request::record_activity(&services, signed_in.user_id, event).await;
            redirect(&signed_in.next);
        }
        Err(rejection) => {
            tracing::debug!(%rejection, "sign-in link refused");
            redirect("/signin/continue");
        }
    }
    Ok(())
}

/// `/signin/continue`: "Continue as a•••@example.com", or why the link no longer works.
#[component]
pub fn ContinueSignInPage() -> impl IntoView {
    let preview = Resource::new(|| (), |()| check_sign_in_link());
    let action = ServerAction::<RedeemSignInLink>::new();
    let pending = action.pending();

    view! {
        <Suspense fallback=|| view! { <p>"Checking your link…"</p> }>
            {move || Suspend::new(async move {
                match preview.await {
                    Ok(LinkPreview::Valid { masked_email, token }) => {
                        view! {
                            <Title text="Continue signing in" />
                            <section class="panel narrow" aria-labelledby="continue-title">
                                <h1 id="continue-title">{format!("Continue as {masked_email}")}</h1>
                                <p>"This link signs you in to Latchkey on this device."</p>
                                <ActionForm action attr:class="stack">
                                    <input type="hidden" name="token" value=token />
                                    <button type="submit" disabled=move || pending.get()>
                                        {move || if pending.get() { "Signing in…" } else { "Continue" }}
                                    </button>
                                </ActionForm>
                            </section>
                        }
                            .into_any()
                    }
                    Ok(LinkPreview::Invalid) | Err(_) => view! { <LinkNoLongerWorks /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn LinkNoLongerWorks() -> impl IntoView {
    view! {
        <Title text="This link no longer works" />
        <section class="panel narrow" aria-labelledby="dead-link-title">
            <h1 id="dead-link-title">"This link no longer works"</h1>
            <p>
                "Sign-in links work once, for a short time. Enter your email and we'll send you a new one."
            </p>
            <EmailForm next=Signal::stored(None::<String>) autofocus=true />
        </section>
    }
}
