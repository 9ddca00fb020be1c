//! The report-link email: one link that opens one report, read-only, and says that it
//! signs nobody in, so forwarding it shares that report and nothing else.

use leptos::prelude::*;

use super::layout::{Button, SmallPrint, document};
use super::{Rendered, describe};
use crate::services::reports::ReportLinkMail;

pub fn render(mail: &ReportLinkMail) -> Rendered {
    let lifetime = match mail.valid_for {
        Some(left) => format!("It works for the next {}.", describe::duration(left)),
        None => "It works until you revoke it.".to_owned(),
    };
    let title = &mail.report_title;
    let text = format!(
        "Your report: {title}\n\
         \n\
         Open it with this link:\n\
         \n\
         {link}\n\
         \n\
         {lifetime} It opens this report, read-only, and does not sign you in; anyone you\n\
         forward it to can read this report. You can revoke the link from the report's page.\n",
        link = mail.link,
    );
    let html = document(
        "Your Latchkey report",
        view! {
            <h1 style="font-size: 1.4em;">{format!("Your report: {title}")}</h1>
            <Button href=mail.link.clone() label="Open the report" />
            <p>{lifetime.clone()}</p>
            <SmallPrint>
                "It opens this report, read-only, and does not sign you in; anyone you forward it to can read this report. You can revoke the link from the report's page."
            </SmallPrint>
        },
    );
    Rendered {
        to: mail.to.clone(),
        subject: format!("Your Latchkey report: {}", describe::subject_title(title)),
        text,
        html,
    }
}
