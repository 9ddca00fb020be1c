//! The messages Latchkey sends (server only). Each has a plain-text and an HTML part.

pub(crate) mod describe;
pub mod email_change;
mod layout;
pub mod report_link;
pub mod share;
pub mod share_code;
pub mod sign_in;

/// A message ready to hand to a transport.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}
