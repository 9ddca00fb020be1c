use leptos::prelude::*;

/// One kind of link Latchkey sends, as a person would describe it.
struct LinkKind {
    name: &'static str,
    summary: &'static str,
    lifetime: &'static str,
    signs_in: bool,
}

const KINDS: [LinkKind; 4] = [
    LinkKind {
        name: "Sign-in link",
        summary: "Emailed when you ask to sign in, with a 6-digit code for another device.",
        lifetime: "Works once, for 15 minutes.",
        signs_in: true,
    },
    LinkKind {
        name: "Report link",
        summary: "Emailed when a report is ready. Opens that report and nothing else, so forwarding the email is safe.",
        lifetime: "Works for 3 days.",
        signs_in: false,
    },
    LinkKind {
        name: "Guest link",
        summary: "Shares one report read-only with a guest. The owner can revoke it at any moment.",
        lifetime: "Works until it expires or is revoked.",
        signs_in: false,
    },
    LinkKind {
        name: "Personal link",
        summary: "A named bookmark that signs you in on one device, for small private sites. Revoke each on its own; revoking signs that device out.",
        lifetime: "Works until you revoke it, or sign out everywhere.",
        signs_in: true,
    },
];

/// The kinds of link, one at a time: an island. Server-rendered with the first selected, so
/// the page reads fine before (or without) the wasm; once hydrated, the buttons switch the
/// detail.
#[island]
pub fn LinkExplorer() -> impl IntoView {
    let (selected, set_selected) = signal(0_usize);
    let kind = move || &KINDS[selected.get()];

    view! {
        <section class="panel explorer" aria-labelledby="explorer-title">
            <h2 id="explorer-title">"Four kinds of link"</h2>
            <div class="choices" role="group" aria-label="Kind of link">
                {KINDS
                    .iter()
                    .enumerate()
                    .map(|(index, kind)| {
                        view! {
                            <button
                                type="button"
                                aria-pressed=move || (selected.get() == index).to_string()
                                aria-controls="explorer-detail"
                                on:click=move |_| set_selected.set(index)
                            >
                                {kind.name}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <div id="explorer-detail" class="detail" aria-live="polite">
                <h3>{move || kind().name}</h3>
                <p>{move || kind().summary}</p>
                <ul>
                    <li>{move || kind().lifetime}</li>
                    <li>
                        {move || {
                            if kind().signs_in {
                                "Signs you in."
                            } else {
                                "Never signs anyone in."
                            }
                        }}
                    </li>
                </ul>
            </div>
        </section>
    }
}
