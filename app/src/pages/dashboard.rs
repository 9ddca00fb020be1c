use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

/// The signed-in account's address, or `None` for a visitor.
#[server(prefix = "/api", endpoint = "me")]
pub async fn current_user() -> Result<Option<String>, ServerFnError> {
    use crate::request::{internal, services, session};
    use crate::services::sessions;

    let services = services()?;
    let session = session().await?;
    let user = sessions::current_user(&services.sessions, &session, std::time::SystemTime::now())
        .await
        .map_err(internal)?;
    Ok(user.map(|u| u.email))
}

/// Ends the session on this device.
#[server(prefix = "/api", endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), ServerFnError> {
    use crate::request::{internal, redirect, session};

    crate::services::sessions::sign_out(&session().await?).await.map_err(internal)?;
    redirect("/signin?signed_out=1");
    Ok(())
}

/// `/dashboard`: where people land after signing in.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let me = Resource::new(|| (), |()| current_user());
    let action = ServerAction::<SignOut>::new();
    let pending = action.pending();

    view! {
        <Title text="Dashboard" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(email)) => {
                        view! {
                            <section class="panel" aria-labelledby="dashboard-title">
                                <h1 id="dashboard-title">"Dashboard"</h1>
                                <p>"Signed in as " <strong data-testid="signed-in-email">{email}</strong></p>
                                <ActionForm action>
                                    <button type="submit" class="secondary" disabled=move || pending.get()>
                                        {move || if pending.get() { "Signing out…" } else { "Sign out" }}
                                    </button>
                                </ActionForm>
                            </section>
                        }
                            .into_any()
                    }
                    Ok(None) => view! { <Redirect path="/signin?next=/dashboard" /> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}
