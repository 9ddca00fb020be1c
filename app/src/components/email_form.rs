use leptos::prelude::*;

/// Asks for a sign-in email. The answer is always the same "check your email" page, so the
/// form reveals nothing about which addresses have accounts or are rate-limited.
#[server(prefix = "/api", endpoint = "sign-in")]
pub async fn request_sign_in(email: String, next: Option<String>) -> Result<(), ServerFnError> {
    use crate::request::{internal, origin, redirect, services};
    use crate::services::sign_in::{self, Origin};

    let services = services()?;
    let (client_ip, user_agent) = origin();
    // Bound to this browser, whatever becomes of the request: its answer shows nothing.
    let browser = crate::asking_browser::keep(&services);
    let origin = Origin { client_ip, user_agent: &user_agent, browser: Some(&browser) };
    let requested = sign_in::request(
        &services.sign_in,
        &email,
        next.as_deref(),
        &origin,
        std::time::SystemTime::now(),
    )
    .await
    .map_err(internal)?;
    let query = form_urlencoded::Serializer::new(String::new())
        // Bounded like an address, so the redirect stays a sane URL whatever was typed.
        .append_pair("email", &email.trim().chars().take(254).collect::<String>())
        .append_pair("r", &requested.handle)
        .finish();
    redirect(&format!("/signin/check?{query}"));
    Ok(())
}

/// The email field and its button: an island. Without the wasm it is a plain form post;
/// with it, it submits in the background and shows that it is sending.
#[island]
pub fn EmailForm(
    /// Where to land after signing in (a same-origin path), carried through the email.
    next: Option<String>,
    /// Put the cursor in the field on load (pages whose purpose is this form).
    autofocus: bool,
) -> impl IntoView {
    let action = ServerAction::<RequestSignIn>::new();
    let pending = action.pending();
    let failed = move || action.value().get().and_then(Result::err).map(|e| e.to_string());

    view! {
        <ActionForm action attr:class="stack" attr:aria-busy=move || pending.get().to_string()>
            <label for="email">"Email address"</label>
            <input
                id="email"
                name="email"
                type="email"
                autocomplete="email"
                inputmode="email"
                required
                maxlength="254"
                autofocus=autofocus
                aria-describedby="email-hint"
            />
            <p id="email-hint" class="hint">"We'll email you a sign-in link and a code."</p>
            {next.map(|next| view! { <input type="hidden" name="next" value=next /> })}
            <button type="submit" disabled=move || pending.get()>
                {move || if pending.get() { "Sending…" } else { "Email me a sign-in link" }}
            </button>
            <p class="error" role="alert">{failed}</p>
        </ActionForm>
    }
}
