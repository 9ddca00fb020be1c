//! What a genuine sign-in link needs besides itself, by where it is opened.
//!
//! Mail scanners open links, run their JavaScript and press their buttons, so neither a GET
//! nor a "Continue" page can tell them from the person. What they cannot have is the
//! requesting browser's cookie, or the code, which is in the email's text and which no
//! clicking scanner types. So the requesting browser signs in by opening the link, and any
//! other browser is asked for what the site's `OtherBrowser` setting says.

use crate::domain::SignInCode;
use crate::entities::sign_in_request;
use crate::services::OtherBrowser;

/// What the browser presenting a link brings besides it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Proof<'a> {
    /// The secret of the browser's request cookie, if it sent one.
    pub browser: Option<&'a str>,
    /// The code typed on the link's page.
    pub code: Option<&'a SignInCode>,
    /// "Continue" pressed on the link's page.
    pub confirmed: bool,
}

impl Proof<'static> {
    /// "Continue" pressed, and nothing else: what the one-button page sends.
    pub const CONTINUE: Self = Self { browser: None, code: None, confirmed: true };
}

/// What the link's page must ask for before the link signs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ask {
    /// Nothing: this is the browser that asked.
    Nothing,
    /// A click on "Continue".
    Confirm,
    /// The code from the same email.
    Code,
    /// Nothing works here: open the link where it was asked for, or type the code there.
    Refuse,
}

impl Ask {
    /// Whether `proof` gives what this asks for (a code still has to be checked).
    pub(super) fn met_by(self, proof: &Proof<'_>) -> bool {
        match self {
            Self::Nothing => true,
            Self::Confirm => proof.confirmed,
            Self::Code => proof.code.is_some(),
            Self::Refuse => false,
        }
    }
}

/// What `request`'s link asks of a browser bringing `browser`'s cookie secret.
pub(super) fn ask(
    request: &sign_in_request::Model,
    browser: Option<&str>,
    other_browser: OtherBrowser,
) -> Ask {
    // Digests of 128 random bits: comparing them leaks nothing about the secret.
    let same_browser = request
        .browser_hash
        .as_deref()
        .is_some_and(|hash| browser.is_some_and(|secret| browser_digest(secret) == hash));
    match request.binding.as_str() {
        _ if same_browser => Ask::Nothing,
        // Handed over by an administrator, with no code to type.
        sign_in_request::OFFLINE => Ask::Confirm,
        // Asked by whoever held a dead link, so no browser is the one that asked.
        sign_in_request::RESEND => Ask::Code,
        _ => match other_browser {
            OtherBrowser::Code => Ask::Code,
            OtherBrowser::Confirm => Ask::Confirm,
            OtherBrowser::Refuse => Ask::Refuse,
        },
    }
}

/// What the database keeps of a browser's request cookie secret.
pub(super) fn browser_digest(secret: &str) -> String {
    crate::services::digest::sha256_hex(secret)
}
