//! The HTML every message shares: the document around it, and the one button it has.

use leptos::prelude::*;

/// A whole HTML message: `title` in its head, `body` in a plain, readable page.
pub fn document(title: &'static str, body: impl IntoView + 'static) -> String {
    let html = view! {
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <title>{title}</title>
            </head>
            <body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2933;">
                {body}
            </body>
        </html>
    }
    .to_html();
    format!("<!DOCTYPE html>{html}")
}

/// The message's link, as a button (inline styles: mail clients drop style sheets).
#[component]
pub fn Button(href: String, label: &'static str) -> impl IntoView {
    view! {
        <p>
            <a
                href=href
                style="display: inline-block; padding: 0.6em 1.2em; background: #2353d6; color: #fff; border-radius: 6px; text-decoration: none;"
            >
                {label}
            </a>
        </p>
    }
}

/// The small print at the end of a message.
#[component]
pub fn SmallPrint(children: Children) -> impl IntoView {
    view! { <p style="color: #52606d; font-size: 0.9em;">{children()}</p> }
}
