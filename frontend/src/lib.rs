//! The wasm entry point. Pages are server-rendered HTML that works without it; the wasm
//! brings to life only the islands (`#[island]` components in `app`), so a visitor downloads
//! the code of those few components rather than of every page.

// Links `app`, whose islands export the functions Leptos's island script calls by name.
use app as _;
use leptos::prelude::{document, set_timeout};
use std::time::Duration;

/// Called by Leptos's island script once the wasm is loaded, just before it hydrates the
/// page's islands.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Panics in the browser would otherwise show only "unreachable" in the console.
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    // The island script hydrates in a chain of promise callbacks right after this returns;
    // a timer fires only once that chain is done, so the mark means "every island is live".
    set_timeout(
        || {
            if let Some(main) = document().get_element_by_id("main") {
                _ = main.set_attribute("data-hydrated", "true");
            }
        },
        Duration::ZERO,
    );
}
