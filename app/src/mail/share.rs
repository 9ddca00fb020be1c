//! The guest's email: who shared which report, the owner's note (as text), the link, and
//! what the link does and does not do.

use leptos::prelude::*;

use super::layout::{Button, SmallPrint, document};
use super::{Rendered, describe};
use crate::services::shares::ShareMail;

pub fn render(mail: &ShareMail) -> Rendered {
    let title = &mail.report_title;
    let by = &mail.shared_by;
    let lifetime = match mail.expires_at {
        Some(at) => format!("The link works until {}.", describe::utc_time(at)),
        None => "The link works until it is revoked.".to_owned(),
    };
    let named = if mail.named_only {
        " It opens only for you: the first time, it asks for a code sent to this address."
    } else {
        ""
    };
    let note =
        mail.message.as_deref().map(|m| format!("{by} wrote:\n\n{m}\n\n")).unwrap_or_default();
    let text = format!(
        "{by} shared a report with you: {title}\n\
         \n\
         {note}Open it with this link:\n\
         \n\
         {link}\n\
         \n\
         {lifetime}{named} It opens this one report, read-only, and signs nobody in.\n",
        link = mail.link,
    );
    // Leptos escapes every value interpolated into the view, the note included.
    let html = document(
        "A report shared with you",
        view! {
            <h1 style="font-size: 1.4em;">{format!("{by} shared “{title}” with you")}</h1>
            {mail.message.clone().map(|m| {
                view! {
                    <blockquote style="margin: 1em 0; padding-left: 1em; border-left: 3px solid #cbd2d9; white-space: pre-wrap;">
                        {m}
                    </blockquote>
                }
            })}
            <Button href=mail.link.clone() label="Open the report" />
            <p>{format!("{lifetime}{named}")}</p>
            <SmallPrint>"It opens this one report, read-only, and signs nobody in."</SmallPrint>
        },
    );
    Rendered {
        to: mail.to.clone(),
        subject: format!("{by} shared a report with you: {}", describe::subject_title(title)),
        text,
        html,
    }
}
