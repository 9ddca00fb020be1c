//! The wasm entry point. Pages are server-rendered HTML that works without it; the wasm
//! brings to life only the islands (`#[island]` components in `app`), so a visitor downloads
//! the code of those few components rather than of every page.

// Links `app`, whose islands export the functions Leptos's island script calls by name.
use app as _;
use leptos::prelude::{document, set_timeout};
use std::time::Duration;

/// The attribute of `<main>` that says how hydration went: "true" once every island is
/// live, "failed" after a panic (so a test waiting for "true" fails rather than going on
/// with a dead island).
const HYDRATED: &str = "data-hydrated";

/// Called by Leptos's island script once the wasm is loaded, just before it hydrates the
/// page's islands.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    std::panic::set_hook(Box::new(|info| {
        // Panics in the browser would otherwise show only "unreachable" in the console.
        console_error_panic_hook::hook(info);
        mark("failed");
    }));
    leptos::mount::hydrate_islands();
    // The island script hydrates in a chain of promise callbacks right after this returns;
    // a timer fires only once that chain is done, so the mark means "every island is live".
    set_timeout(
        || {
            let failed = main_element().and_then(|main| main.get_attribute(HYDRATED));
            if failed.as_deref() != Some("failed") {
                mark("true");
            }
        },
        Duration::ZERO,
    );
}

fn main_element() -> Option<leptos::web_sys::Element> {
    document().get_element_by_id("main")
}

fn mark(state: &str) {
    if let Some(main) = main_element() {
        _ = main.set_attribute(HYDRATED, state);
    }
}
