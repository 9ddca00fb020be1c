use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::LinkExplorer;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Sign in with a link" />
        <section class="hero">
            <h1>"Sign in with a link, not a password."</h1>
            <p class="lede">
                "Latchkey sends you a link by email. Click it and you are in. "
                "Every link does one thing, for a limited time, and can be revoked."
            </p>
            <p>
                <a class="button" href="/signin">"Sign in"</a>
            </p>
        </section>
        <LinkExplorer />
    }
}
