use std::time::Duration;

use leptos::ev;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsValue;

/// How long the button stays busy when no new page replaces this one.
const READY_AGAIN_AFTER: Duration = Duration::from_secs(10);

/// A form's submit button that says so once its form is sent, and takes no second press
/// meanwhile: an island, so that the rest of the page (its form included) is plain HTML
/// that the browser posts. Without the wasm it is an ordinary button.
#[island]
pub fn SubmitButton(
    /// What the button says.
    #[prop(into)]
    label: String,
    /// What it says while its form is being sent ("Sending…").
    #[prop(into)]
    busy: String,
    /// Its classes ("secondary", …); empty for the default look. A `String`, not an
    /// `Option`: with an optional class, Leptos 0.8.23 left the island's other attributes
    /// and its text unbound after hydration (seen in Chromium).
    #[prop(into)]
    class: String,
) -> impl IntoView {
    let sent = RwSignal::new(false);
    let button = NodeRef::<leptos::html::Button>::new();
    // Listened for on the window, where every form's submit event arrives, after the
    // form's own handlers: one that takes the submission over has prevented it by then.
    // The island lasts as long as the page, so the listeners are never removed.
    _ = window_event_listener(ev::submit, move |event| {
        let form = button.get_untracked().and_then(|button| button.form());
        let ours = form
            .zip(event.target())
            .is_some_and(|(form, target)| JsValue::from(form) == JsValue::from(target));
        if ours && !event.default_prevented() {
            // Once the browser has read the form: a button disabled before that would be
            // left out of what it sends.
            set_timeout(move || sent.set(true), Duration::ZERO);
            // A post the visitor stopped (Esc), or one whose answer went to another tab (a
            // modified click), leaves this page in place: the button comes back in time.
            set_timeout(move || sent.set(false), READY_AGAIN_AFTER);
        }
    });
    // Back to this page from the browser's back/forward cache: the form was sent from it,
    // but the page is ready to send again.
    _ = window_event_listener_untyped("pageshow", move |_| sent.set(false));

    view! {
        <button type="submit" class=class node_ref=button disabled=move || sent.get()>
            {move || if sent.get() { busy.clone() } else { label.clone() }}
        </button>
    }
}
