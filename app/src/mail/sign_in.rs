//! The sign-in email: a link, a code for another device, how long both last, and where the
//! request came from, so someone who did not ask can tell. Or, for an address kept for the
//! account that left it, why there is neither.

use leptos::prelude::*;

use super::layout::{Button, SmallPrint, document};
use super::{Rendered, describe};
use crate::services::sign_in::{AddressKeptMail, SignInMail};

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

pub fn render_address_kept(mail: &AddressKeptMail) -> Rendered {
    let moved_at = describe::utc_time(mail.moved_at);
    let moved = format!(
        "On {moved_at}, the Latchkey account that signed in with this address changed it to {}.",
        mail.moved_to
    );
    let undo = "If you did not make that change, open \"This wasn't me\" in the email we sent \
                to this address then: it gives the account this address back and signs it out \
                on every device.";
    let free = format!(
        "Until {}, this address stays that account's to take back, so no other account can use it.",
        describe::utc_time(mail.until)
    );
    let text = format!(
        "Sign in to Latchkey\n\
         \n\
         {moved} To sign in to it, use that address.\n\
         \n\
         {undo}\n\
         \n\
         {free}\n\
         If you did not ask to sign in, ignore this email.\n"
    );
    let html = document(
        "Sign in to Latchkey",
        view! {
            <h1 style="font-size: 1.4em;">"Sign in to Latchkey"</h1>
            <p>{format!("{moved} To sign in to it, use that address.")}</p>
            <p>{undo}</p>
            <SmallPrint>{format!("{free} If you did not ask to sign in, ignore this email.")}</SmallPrint>
        },
    );
    Rendered { to: mail.to.clone(), subject: "Your Latchkey sign-in".to_owned(), text, html }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;

    #[test]
    fn a_kept_address_gets_where_the_account_went_and_no_way_in() {
        let moved_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_000);
        let mail = AddressKeptMail {
            to: "alice@example.com".into(),
            moved_to: "m•••@example.com".into(),
            moved_at,
            until: moved_at + Duration::from_secs(7 * 86_400),
        };
        let rendered = render_address_kept(&mail);
        assert_eq!(rendered.to, "alice@example.com");
        for part in [&rendered.text, &rendered.html] {
            assert!(part.contains("m•••@example.com"), "{part}");
            assert!(
                part.contains("This wasn't me") || part.contains("This wasn&#39;t me"),
                "{part}"
            );
            assert!(!part.contains("token="), "{part}");
        }
        assert!(rendered.text.contains(&describe::utc_time(mail.until)));
    }
}
