use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::EmailForm;

/// `/signin[?next=/path]`: the email form.
#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = query.read_untracked().get("next");
    let signed_out = move || query.read().get("signed_out");
    view! {
        <Title text="Sign in" />
        <section class="panel narrow" aria-labelledby="sign-in-title">
            <h1 id="sign-in-title">"Sign in"</h1>
            {move || {
                signed_out()
                    .map(|how| {
                        let text = if how == "everywhere" {
                            "You've signed out everywhere: every session and every link of your account has ended."
                        } else {
                            "You've signed out."
                        };
                        view! { <p class="notice" role="status">{text}</p> }
                    })
            }}
            <p>"No password needed: enter your email and we'll send you a link."</p>
            <EmailForm next=next autofocus=true />
        </section>
    }
}
