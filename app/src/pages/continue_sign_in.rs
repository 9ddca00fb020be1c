use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::components::{CodeField, EmailForm, SubmitButton, code_error};

/// What the landing page may show about the link it was given.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum LinkPreview {
    /// It would sign in as this (masked) address, once this browser gives what it asks.
    Valid { masked_email: String, token: String, asks: Asks },
    /// Used, expired, tampered with or revoked: which, only the log says. `resendable`
    /// when a new link may be offered for it.
    Invalid { resendable: bool },
}

/// What a genuine link asks of this browser (see `services::sign_in::Ask`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Asks {
    Nothing,
    Confirm,
    Code,
    Refuse,
}

/// Looks at the link's token (from the cookie the link set) without spending it: a
/// browser other than the one that asked never signs in by merely opening a link, so mail
/// scanners that open links and press buttons cannot burn them.
#[server(prefix = "/api", endpoint = "sign-in/link/check")]
pub async fn check_sign_in_link() -> Result<LinkPreview, ServerFnError> {
    use crate::request::{cookie, internal, services};
    use crate::services::sign_in::{self, Ask};

    let services = services()?;
    let secure = services.settings.secure_cookies;
    let Some(token) = cookie(crate::link_cookie::SIGN_IN.name(secure)).filter(|t| !t.is_empty())
    else {
        return Ok(LinkPreview::Invalid { resendable: false });
    };
    let browser = crate::asking_browser::current(secure);
    let now = std::time::SystemTime::now();
    let checked = sign_in::check_link(&services.sign_in, &token, browser.as_deref(), now)
        .await
        .map_err(internal)?;
    Ok(match checked {
        Ok(preview) => LinkPreview::Valid {
            masked_email: preview.masked_email,
            token,
            asks: match preview.ask {
                Ask::Nothing => Asks::Nothing,
                Ask::Confirm => Asks::Confirm,
                Ask::Code => Asks::Code,
                Ask::Refuse => Asks::Refuse,
            },
        },
        Err(dead) => {
            tracing::debug!(rejection = %dead.rejection, "sign-in link refused");
            LinkPreview::Invalid { resendable: dead.resendable }
        }
    })
}

/// Spends the link and signs in (a POST, from the page's button), with the code when the
/// page asked for one.
#[server(prefix = "/api", endpoint = "sign-in/link")]
pub async fn redeem_sign_in_link(token: String, code: Option<String>) -> Result<(), ServerFnError> {
    use std::time::SystemTime;

    use crate::domain::SignInCode;
    use crate::request::{
        current_session_id, internal, redirect, send_cookie, send_session_cookie, services,
    };
    use crate::services::sign_in::{self, LinkRefusal, Proof};

    let services = services()?;
    let secure = services.settings.secure_cookies;
    let code = match code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(typed) => match SignInCode::parse(typed) {
            Some(code) => Some(code),
            None => {
                redirect("/signin/continue?error=format");
                return Ok(());
            }
        },
    };
    let browser = crate::asking_browser::current(secure);
    let proof = Proof { browser: browser.as_deref(), code: code.as_ref(), confirmed: true };
    let now = SystemTime::now();
    let current = current_session_id().await?;
    let from = crate::request::activity_origin();
    let redeemed =
        sign_in::redeem_link(&services.sign_in, &token, proof, from, current.as_deref(), now);
    match redeemed.await.map_err(internal)? {
        Ok(signed_in) => {
            send_session_cookie(&signed_in, &services);
            send_cookie(crate::link_cookie::SIGN_IN.clear(secure));
            tracing::info!(user = signed_in.user_id, "signed in with a link");
            redirect(&signed_in.next);
        }
        Err(LinkRefusal::WrongCode { attempts_left }) => {
            redirect(&format!("/signin/continue?error=wrong&left={attempts_left}"));
        }
        Err(LinkRefusal::Asks(_)) => redirect("/signin/continue?error=format"),
        Err(LinkRefusal::Dead(rejection)) => {
            tracing::debug!(%rejection, "sign-in link refused");
            redirect("/signin/continue");
        }
    }
    Ok(())
}

/// "Send me a new link", for a genuine link that no longer works. The answer is the same
/// whether or not one was sent.
#[server(prefix = "/api", endpoint = "sign-in/link/resend")]
pub async fn resend_sign_in_link() -> Result<(), ServerFnError> {
    use crate::request::{cookie, internal, origin, redirect, send_cookie, services};
    use crate::services::sign_in::{self, Origin};

    let services = services()?;
    let secure = services.settings.secure_cookies;
    if let Some(token) = cookie(crate::link_cookie::SIGN_IN.name(secure)) {
        let (client_ip, user_agent) = origin();
        // Bound to no browser: this one need not be the one that asked.
        let origin = Origin { client_ip, user_agent: &user_agent, browser: None };
        let now = std::time::SystemTime::now();
        sign_in::resend_link(&services.sign_in, &token, &origin, now).await.map_err(internal)?;
    }
    send_cookie(crate::link_cookie::SIGN_IN.clear(secure));
    redirect("/signin/continue?resent=1");
    Ok(())
}

/// `/signin/continue`: "Continue as a•••@example.com" (asking for the code, a click or
/// nothing), or why the link no longer works.
#[component]
pub fn ContinueSignInPage() -> impl IntoView {
    let query = use_query_map();
    let resent = move || query.read().get("resent").is_some();
    view! {
        <Show when=resent fallback=|| view! { <LinkLanding /> }>
            <NewLinkSent />
        </Show>
    }
}

#[component]
fn LinkLanding() -> impl IntoView {
    let preview = Resource::new(|| (), |()| check_sign_in_link());
    view! {
        <Suspense fallback=|| view! { <p>"Checking your link…"</p> }>
            {move || Suspend::new(async move {
                match preview.await {
                    Ok(LinkPreview::Valid { masked_email, token, asks }) => {
                        view! { <ContinueAs masked_email token asks /> }.into_any()
                    }
                    Ok(LinkPreview::Invalid { resendable }) => {
                        view! { <LinkNoLongerWorks resendable /> }.into_any()
                    }
                    Err(_) => view! { <LinkNoLongerWorks resendable=false /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ContinueAs(masked_email: String, token: String, asks: Asks) -> impl IntoView {
    let action = ServerAction::<RedeemSignInLink>::new();
    let query = use_query_map();
    let error = Signal::derive(move || {
        let query = query.read();
        code_error(query.get("error").as_deref().unwrap_or_default(), query.get("left").as_deref())
    });
    let title = format!("Continue as {masked_email}");
    let body = match asks {
        Asks::Refuse => view! {
            <p>"For your safety, this link only works in the browser where you asked for it."</p>
            <p>
                "Open it there, or type the 6-digit code from the same email on the page where you asked for it."
            </p>
        }
            .into_any(),
        Asks::Code => view! {
            <p>
                "You're opening this link in a different browser from the one that asked for it. To sign in here, type the 6-digit code from the same email."
            </p>
            <ActionForm action attr:class="stack">
                <input type="hidden" name="token" value=token.clone() />
                <CodeField error />
                <SubmitButton label="Sign in" busy="Signing in…" class="" />
            </ActionForm>
        }
            .into_any(),
        Asks::Confirm | Asks::Nothing => view! {
            <p>"This link signs you in to Latchkey on this device."</p>
            <ActionForm action attr:class="stack">
                <input type="hidden" name="token" value=token.clone() />
                <SubmitButton label="Continue" busy="Signing in…" class="" />
            </ActionForm>
        }
            .into_any(),
    };
    view! {
        <Title text="Continue signing in" />
        <section class="panel narrow" aria-labelledby="continue-title">
            <h1 id="continue-title">{title}</h1>
            {body}
        </section>
    }
}

#[component]
fn LinkNoLongerWorks(resendable: bool) -> impl IntoView {
    let resend = ServerAction::<ResendSignInLink>::new();
    view! {
        <Title text="This link no longer works" />
        <section class="panel narrow" aria-labelledby="dead-link-title">
            <h1 id="dead-link-title">"This link no longer works"</h1>
            {if resendable {
                view! {
                    <p>"Sign-in links work once, for a short time. We can email you a new one."</p>
                    <ActionForm action=resend attr:class="stack">
                        <SubmitButton label="Send me a new link" busy="Sending…" class="" />
                    </ActionForm>
                    <p class="hint">"Or enter your email to get one:"</p>
                }
                    .into_any()
            } else {
                view! {
                    <p>
                        "Sign-in links work once, for a short time. Enter your email and we'll send you a new one."
                    </p>
                }
                    .into_any()
            }}
            <EmailForm next=None autofocus=!resendable />
        </section>
    }
}

#[component]
fn NewLinkSent() -> impl IntoView {
    view! {
        <Title text="Check your email" />
        <section class="panel narrow" aria-labelledby="resent-title">
            <h1 id="resent-title">"Check your email"</h1>
            <p role="status">
                "If that link can still be replaced, a new one is on its way to the address it was sent to."
            </p>
            <p>
                "Open the new link, and type the 6-digit code from the same email when it asks: a new link works in any browser, with its code."
            </p>
            <p class="hint">
                "Nothing arrived? Check your spam folder, or " <a href="/signin">"ask for a sign-in email"</a>
                "."
            </p>
        </section>
    }
}
