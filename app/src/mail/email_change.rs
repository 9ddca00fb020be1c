//! The emails of an email change: the confirmation to the new address, the notice with
//! "this wasn't me" to the old one, and "this address already has an account" (or "is kept
//! for another account") to a new address that is taken, so the requester's page can say
//! the same thing either way.

use leptos::prelude::*;

use super::layout::{Button, SmallPrint, document};
use super::{Rendered, describe};
use crate::services::email_change::ChangeMail;

pub fn render(mail: &ChangeMail) -> Rendered {
    match mail {
        ChangeMail::Confirm { to, masked_old, link, valid_for } => {
            let valid_for = describe::duration(*valid_for);
            let text = format!(
                "Confirm your new email address\n\
                 \n\
                 Someone signed in to the Latchkey account {masked_old} asked to use this\n\
                 address instead. To confirm, open this link and press the button:\n\
                 \n\
                 {link}\n\
                 \n\
                 It works once, for the next {valid_for}. Confirming signs the account out on\n\
                 every device. If you did not ask for this, ignore this email: nothing changes.\n",
            );
            let html = document(
                "Confirm your new email address",
                view! {
                    <h1 style="font-size: 1.4em;">"Confirm your new email address"</h1>
                    <p>{format!("Someone signed in to the Latchkey account {masked_old} asked to use this address instead.")}</p>
                    <Button href=link.clone() label="Confirm this address" />
                    <p>{format!("It works once, for the next {valid_for}. Confirming signs the account out on every device.")}</p>
                    <SmallPrint>"If you did not ask for this, ignore this email: nothing changes."</SmallPrint>
                },
            );
            Rendered {
                to: to.clone(),
                subject: "Confirm your new Latchkey email address".to_owned(),
                text,
                html,
            }
        }
        ChangeMail::Notice { to, new_email, undo_link, valid_for } => {
            let valid_for = describe::duration(*valid_for);
            let text = format!(
                "Your Latchkey email address is being changed\n\
                 \n\
                 Someone signed in to your account asked to change its address to\n\
                 {new_email}. It changes only if that address confirms.\n\
                 \n\
                 If this wasn't you, open this link: it cancels the change (or undoes it, if\n\
                 it was confirmed) and signs your account out on every device.\n\
                 \n\
                 {undo_link}\n\
                 \n\
                 The link works for the next {valid_for}. If it was you, there is nothing to do.\n",
            );
            let html = document(
                "Your email address is being changed",
                view! {
                    <h1 style="font-size: 1.4em;">"Your Latchkey email address is being changed"</h1>
                    <p>{format!("Someone signed in to your account asked to change its address to {new_email}. It changes only if that address confirms.")}</p>
                    <p>"If this wasn't you, this cancels the change (or undoes it, if it was confirmed) and signs your account out on every device:"</p>
                    <Button href=undo_link.clone() label="This wasn't me" />
                    <SmallPrint>{format!("The link works for the next {valid_for}. If it was you, there is nothing to do.")}</SmallPrint>
                },
            );
            Rendered {
                to: to.clone(),
                subject: "Your Latchkey email address is being changed".to_owned(),
                text,
                html,
            }
        }
        ChangeMail::Taken { to } => {
            let text = "This address already has a Latchkey account\n\
                 \n\
                 Someone signed in to another Latchkey account asked to change its address to\n\
                 this one. This address already has an account, so nothing changed.\n\
                 \n\
                 If that was you, sign in with this address instead, or change the other\n\
                 account to an address of its own. If not, ignore this email.\n"
                .to_owned();
            let html = document(
                "This address already has an account",
                view! {
                    <h1 style="font-size: 1.4em;">"This address already has a Latchkey account"</h1>
                    <p>"Someone signed in to another Latchkey account asked to change its address to this one. This address already has an account, so nothing changed."</p>
                    <SmallPrint>"If that was you, sign in with this address instead, or change the other account to an address of its own. If not, ignore this email."</SmallPrint>
                },
            );
            Rendered {
                to: to.clone(),
                subject: "Your address already has a Latchkey account".to_owned(),
                text,
                html,
            }
        }
        ChangeMail::Reserved { to, until } => {
            let until = format!("until {}", describe::utc_time(*until));
            let why = format!(
                "Someone signed in to a Latchkey account asked to change its address to this one. \
                 Another account used this address lately and may still take it back, so it is \
                 kept for that account {until}. Nothing changed."
            );
            let text = format!(
                "This address cannot be used yet\n\n{why}\n\nIf that was you, ask again later. If not, ignore this email.\n"
            );
            let html = document(
                "This address cannot be used yet",
                view! {
                    <h1 style="font-size: 1.4em;">"This address cannot be used yet"</h1>
                    <p>{why.clone()}</p>
                    <SmallPrint>"If that was you, ask again later. If not, ignore this email."</SmallPrint>
                },
            );
            Rendered {
                to: to.clone(),
                subject: "Your address cannot be used for a Latchkey account yet".to_owned(),
                text,
                html,
            }
        }
    }
}
