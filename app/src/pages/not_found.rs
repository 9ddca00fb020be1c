use leptos::prelude::*;
use leptos_meta::Title;

/// Any path no route matches: a real 404, not a 200 page that says "not found".
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <section class="panel">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. Check the link, or start again from the home page."</p>
            <p>
                <a href="/">"Go to the home page"</a>
            </p>
        </section>
    }
}
