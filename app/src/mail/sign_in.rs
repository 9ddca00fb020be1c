//! The sign-in email: a link, a code for another device, how long both last, and where the
//! request came from, so someone who did not ask can tell.

use leptos::prelude::*;

use super::layout::{Button, SmallPrint, document};
use super::{Rendered, describe};
use crate::services::sign_in::SignInMail;

pub fn render(mail: &SignInMail) -> Rendered {
    let valid_for = describe::duration(mail.valid_for);
    let browser = describe::browser(&mail.user_agent);
    let requested_at = describe::utc_time(mail.requested_at);
    let spaced_code = describe::spaced_code(&mail.code);
    let origin = format!("{browser}, from {}, at {requested_at}", mail.client_ip);

    let text = format!(
        "Sign in to Latchkey\n\
         \n\
         Open this link to sign in as {to}:\n\
         \n\
         {link}\n\
         \n\
         Or, on another device, enter this code: {spaced_code}\n\
         \n\
         The link and the code work once, for the next {valid_for}.\n\
         \n\
         This request came from {origin}.\n\
         If you did not ask to sign in, ignore this email: nobody can sign in without it.\n",
        to = mail.to,
        link = mail.link,
    );

    // Leptos escapes every value interpolated into the view.
    let html = document(
        "Sign in to Latchkey",
        view! {
            <h1 style="font-size: 1.4em;">"Sign in to Latchkey"</h1>
            <p>"Use the button to sign in as " <strong>{mail.to.clone()}</strong> "."</p>
            <Button href=mail.link.clone() label="Sign in to Latchkey" />
            <p>"Or, on another device, enter this code:"</p>
            <p style="font-size: 1.8em; letter-spacing: 0.2em; font-weight: bold;">
                {spaced_code.clone()}
            </p>
            <p>{format!("The link and the code work once, for the next {valid_for}.")}</p>
            <SmallPrint>
                {format!("This request came from {origin}. ")}
                "If you did not ask to sign in, ignore this email: nobody can sign in without it."
            </SmallPrint>
        },
    );

    Rendered {
        to: mail.to.clone(),
        // No code in the subject: subjects show on lock screens and in notifications.
        subject: "Your Latchkey sign-in link".to_owned(),
        text,
        html,
    }
}
