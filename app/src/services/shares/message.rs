//! The owner's note to the guest: plain text, shown as text (never as HTML) on the page and
//! in the email.

/// The longest note, in characters. The form's `maxlength` counts UTF-16 units, never
/// fewer than characters, so the form cannot send more.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// A note that can go out: trimmed, line breaks kept, other control characters dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareMessage(String);

/// Why a note cannot go out; `Display` is the message shown beside the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareMessageError {
    TooLong,
}

impl std::fmt::Display for ShareMessageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "The message is too long: at most {MAX_MESSAGE_CHARS} characters.")
    }
}

impl std::error::Error for ShareMessageError {}

impl ShareMessage {
    /// `None` for a note that is empty once trimmed.
    pub fn parse(raw: &str) -> Result<Option<Self>, ShareMessageError> {
        let text: String =
            raw.replace("\r\n", "\n").chars().filter(|&c| c == '\n' || !c.is_control()).collect();
        let text = text.trim();
        if text.chars().count() > MAX_MESSAGE_CHARS {
            return Err(ShareMessageError::TooLong);
        }
        Ok((!text.is_empty()).then(|| Self(text.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_trimmed_and_bounded() {
        let note = ShareMessage::parse("  Hi Bob,\r\nhere it is.\u{7}\0 ").unwrap().unwrap();
        assert_eq!(note.as_str(), "Hi Bob,\nhere it is.");
        assert_eq!(ShareMessage::parse(" \n "), Ok(None));
        assert!(ShareMessage::parse(&"é".repeat(500)).unwrap().is_some());
        assert_eq!(ShareMessage::parse(&"é".repeat(501)), Err(ShareMessageError::TooLong));
    }
}
