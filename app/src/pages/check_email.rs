use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{CodeField, SubmitButton, code_error};

/// Finishes a sign-in with the code from the email, in the browser that asked for it.
/// Every answer is a redirect, so the page works the same with or without JavaScript.
#[server(prefix = "/api", endpoint = "sign-in/code")]
pub async fn verify_sign_in_code(
    request: String,
    email: String,
    code: String,
) -> Result<(), ServerFnError> {
    use std::time::SystemTime;

    use crate::domain::SignInCode;
    use crate::request::{
        activity_origin, current_session_id, internal, redirect, send_session_cookie, services,
    };
    use crate::services::sign_in::{self, CodeOutcome};

    let back = |error: &str, left: Option<i32>| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("email", &email).append_pair("r", &request).append_pair("error", error);
        if let Some(left) = left {
            query.append_pair("left", &left.to_string());
        }
        format!("/signin/check?{}", query.finish())
    };
    let Some(code) = SignInCode::parse(&code) else {
        redirect(&back("format", None));
        return Ok(());
    };
    let services = services()?;
    let now = SystemTime::now();
    let current = current_session_id().await?;
    let from = activity_origin();
    let checked =
        sign_in::verify_code(&services.sign_in, &request, &code, from, current.as_deref(), now);
    match checked.await.map_err(internal)? {
        CodeOutcome::SignedIn(signed_in) => {
            send_session_cookie(&signed_in, &services);
            tracing::info!(user = signed_in.user_id, "signed in with a code");
            redirect(&signed_in.next);
        }
        CodeOutcome::Wrong { attempts_left } => redirect(&back("wrong", Some(attempts_left))),
        CodeOutcome::Dead => redirect(&back("dead", None)),
        // Which budget, only the log says: the page must not help aim the next guesses.
        CodeOutcome::Paused(_) => redirect(&back("paused", None)),
    }
    Ok(())
}

/// `/signin/check?email=…&r=…`: "check your email", and the code form.
#[component]
pub fn CheckEmailPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |key: &str| query.read().get(key).unwrap_or_default();
    let action = ServerAction::<VerifySignInCode>::new();
    let error = Signal::derive(move || {
        let error = get("error");
        code_error(&error, Some(&get("left"))).or_else(|| match error.as_str() {
            "dead" => Some(
                "This code no longer works: it expired, was used, or had too many wrong tries."
                    .to_owned(),
            ),
            "paused" => Some(
                "Codes typed here are paused for now, after too many wrong tries. The link in the email still works."
                    .to_owned(),
            ),
            _ => None,
        })
    });

    view! {
        <Title text="Check your email" />
        <section class="panel narrow" aria-labelledby="check-title">
            <h1 id="check-title">"Check your email"</h1>
            <p>
                "We've sent a sign-in link and a 6-digit code to "
                <strong>{move || get("email")}</strong> "."
            </p>
            <p>"Open the link on this device, or type the code here if you read your email elsewhere. Both work once, for a limited time."</p>
            <ActionForm action attr:class="stack">
                <input type="hidden" name="request" value=move || get("r") />
                <input type="hidden" name="email" value=move || get("email") />
                <CodeField error />
                <SubmitButton label="Sign in" busy="Checking…" class="" />
            </ActionForm>
            <p class="hint">
                "Nothing arrived, or the code stopped working? Check your spam folder, or "
                <a href="/signin">"ask for a new email"</a> "."
            </p>
        </section>
    }
}
