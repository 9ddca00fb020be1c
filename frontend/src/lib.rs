//! The wasm entry point: hydrates the server-rendered page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Panics in the browser would otherwise show only "unreachable" in the console.
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
