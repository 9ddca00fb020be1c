//! The named guest's confirmation code: typed once in the browser that asked, it lets
//! that browser open the share. Its link does the same in whichever browser opens it.

use leptos::prelude::*;

use super::layout::{Button, SmallPrint, document};
use super::{Rendered, describe};
use crate::services::shares::ShareCodeMail;

pub fn render(mail: &ShareCodeMail) -> Rendered {
    let spaced_code = describe::spaced_code(&mail.code);
    let valid_for = describe::duration(mail.valid_for);
    let link_valid_for = describe::duration(mail.link_valid_for);
    let title = &mail.report_title;
    let by = &mail.shared_by;
    let text = format!(
        "Your code to open “{title}”, shared by {by}: {spaced_code}\n\
         \n\
         Type it on the page that asked for it. It works for the next {valid_for}, in that\n\
         browser only.\n\
         \n\
         Or open this link in the browser where you want to read the report, for the next\n\
         {link_valid_for}:\n\
         \n\
         {link}\n\
         \n\
         If you did not ask for it, ignore this email: the report stays closed.\n",
        link = mail.link,
    );
    let html = document(
        "Your code to open a shared report",
        view! {
            <h1 style="font-size: 1.4em;">{format!("Your code to open “{title}”")}</h1>
            <p>{format!("Shared by {by}. Type this code on the page that asked for it:")}</p>
            <p style="font-size: 1.8em; letter-spacing: 0.2em; font-weight: bold;">
                {spaced_code.clone()}
            </p>
            <p>{format!("It works for the next {valid_for}, in that browser only.")}</p>
            <p>{format!("Or open the report with this button in the browser where you want to read it, for the next {link_valid_for}:")}</p>
            <Button href=mail.link.clone() label="Open the report here" />
            <SmallPrint>"If you did not ask for it, ignore this email: the report stays closed."</SmallPrint>
        },
    );
    Rendered {
        to: mail.to.clone(),
        // No code in the subject: subjects show on lock screens and in notifications.
        subject: "Your code to open a shared report".to_owned(),
        text,
        html,
    }
}
