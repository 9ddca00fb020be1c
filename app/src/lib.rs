//! Latchkey's user interface: rendered on the server (`ssr`) and hydrated in the browser
//! (`hydrate`). Pages never touch the database: they call server functions, or, for the
//! read-only link pages, render what the server loaded for them (`preloaded`).

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, StaticSegment, path};

#[cfg(feature = "ssr")]
pub mod asking_browser;
mod components;
#[cfg(feature = "ssr")]
pub mod csp;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
mod guest_browser;
#[cfg(feature = "ssr")]
pub mod link_cookie;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod once_a_minute;
mod pages;
#[cfg(feature = "ssr")]
pub mod preloaded;
#[cfg(feature = "ssr")]
pub mod request;
#[cfg(feature = "ssr")]
pub mod services;
#[cfg(feature = "ssr")]
pub mod visitors;

use pages::{
    AccessPage, CheckEmailPage, ContinueSignInPage, DashboardPage, EditReportPage,
    EmailConfirmPage, EmailUndoPage, HomePage, NewReportPage, NotFound, PersonalContinuePage,
    ReportLinkPage, ReportPage, SettingsPage, SharedReportPage, SignInPage,
};

/// The HTML document around the app, rendered once per server-side request.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    document(options, || view! { <App /> })
}

/// The HTML document around `body`, built after the head (a component runs where it
/// appears: the head's `HydrationScripts` must come first, see there).
pub(crate) fn document<V: IntoView>(
    options: LeptosOptions,
    body: impl FnOnce() -> V,
) -> impl IntoView {
    #[cfg(feature = "ssr")]
    csp::send_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                // In islands mode this also stops the server from serialising hydration data
                // (resources' values) outside islands, which only islands would read.
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>{body()}</body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Frame>
                <Routes fallback=NotFound>
                    <Route path=StaticSegment("") view=HomePage />
                    <Route path=path!("/signin") view=SignInPage />
                    <Route path=path!("/signin/check") view=CheckEmailPage />
                    // The server routes these itself and renders them with their data
                    // already loaded and without the router (`preloaded`); listed for a
                    // path it does not route (a trailing slash), which they refuse.
                    <Route path=path!("/reports/:id/view") view=ReportLinkPage />
                    <Route path=path!("/shared") view=SharedReportPage />
                    // Rendered whole before sending (not streamed), so they work without
                    // JavaScript and can answer with a redirect.
                    <Route path=path!("/signin/continue") view=ContinueSignInPage ssr=SsrMode::Async />
                    <Route path=path!("/dashboard") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("/reports/new") view=NewReportPage ssr=SsrMode::Async />
                    <Route path=path!("/reports/:id") view=ReportPage ssr=SsrMode::Async />
                    <Route path=path!("/reports/:id/edit") view=EditReportPage ssr=SsrMode::Async />
                    <Route path=path!("/access") view=AccessPage ssr=SsrMode::Async />
                    <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async />
                    <Route path=path!("/personal/continue") view=PersonalContinuePage ssr=SsrMode::Async />
                    <Route path=path!("/email/confirm") view=EmailConfirmPage ssr=SsrMode::Async />
                    <Route path=path!("/email/undo") view=EmailUndoPage ssr=SsrMode::Async />
                </Routes>
            </Frame>
        </Router>
    }
}

/// What every page has around its content: the stylesheet, the title's format, the site's
/// header and `<main>`. Uses nothing of the router, so the preloaded pages render in it
/// without one.
#[component]
pub(crate) fn Frame(children: Children) -> impl IntoView {
    provide_meta_context();

    view! {
        <Stylesheet id="leptos" href="/pkg/latchkey.css" />
        <Title formatter=|page: String| format!("{page} · Latchkey") />
        <header class="site-header">
            <a class="brand" href="/">
                "Latchkey"
            </a>
            <nav aria-label="Account">
                <a href="/dashboard">"Dashboard"</a>
                <a href="/access">"Access"</a>
                <a href="/settings">"Settings"</a>
            </nav>
        </header>
        // The wasm sets this to "true" once the page's islands are live (see `frontend`), so
        // tests can tell a live page from server-rendered HTML.
        <main id="main" data-hydrated="false">
            {children()}
        </main>
    }
}
