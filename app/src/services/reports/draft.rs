//! A report as typed into the editor, checked once: a title and a Markdown body.

/// The longest title, in characters (the column holds 200).
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest body, in characters: far above any real report, and a bound on render
/// time. The editor's `maxlength` counts UTF-16 units, never fewer than characters, so
/// the form cannot send more.
pub const MAX_BODY_CHARS: usize = 100_000;

/// A title and body that can be saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    title: String,
    markdown: String,
}

/// Why a draft cannot be saved; `Display` is the message the editor shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DraftError {
    EmptyTitle,
    TitleTooLong,
    BodyTooLong,
}

impl std::fmt::Display for DraftError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::EmptyTitle => f.write_str("Give the report a title."),
            Self::TitleTooLong => {
                write!(f, "The title is too long: at most {MAX_TITLE_CHARS} characters.")
            }
            Self::BodyTooLong => {
                write!(f, "The report is too long: at most {MAX_BODY_CHARS} characters.")
            }
        }
    }
}

impl std::error::Error for DraftError {}

impl Draft {
    /// Trims the title (one line: control characters and line breaks become spaces) and
    /// normalises the body's line endings.
    pub fn parse(title: &str, markdown: &str) -> Result<Self, DraftError> {
        let title: String = title.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let title = title.trim();
        if title.is_empty() {
            return Err(DraftError::EmptyTitle);
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(DraftError::TitleTooLong);
        }
        // What no form can send, refused before it is copied: CRLF at most halves it.
        if markdown.chars().count() > 2 * MAX_BODY_CHARS {
            return Err(DraftError::BodyTooLong);
        }
        // NUL is no text, and PostgreSQL refuses it in a text column. Counted after the
        // line endings are normalised: a form sends each line break as CRLF, but its
        // `maxlength` counts one character for it.
        let markdown = markdown.replace("\r\n", "\n").replace('\0', "");
        if markdown.chars().count() > MAX_BODY_CHARS {
            return Err(DraftError::BodyTooLong);
        }
        Ok(Self { title: title.to_owned(), markdown })
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn markdown(&self) -> &str {
        &self.markdown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_one_trimmed_line() {
        let draft = Draft::parse("  Weekly\nsummary\t ", "body\r\nline").unwrap();
        assert_eq!(draft.title(), "Weekly summary");
        assert_eq!(draft.markdown(), "body\nline");
        assert_eq!(Draft::parse(" \n ", ""), Err(DraftError::EmptyTitle));
        assert_eq!(Draft::parse(&"é".repeat(200), "").unwrap().title().chars().count(), 200);
        assert_eq!(Draft::parse(&"é".repeat(201), ""), Err(DraftError::TitleTooLong));
        assert_eq!(Draft::parse("t", &"x".repeat(100_001)), Err(DraftError::BodyTooLong));
        assert!(Draft::parse("t", &"é".repeat(100_000)).is_ok());
        assert_eq!(Draft::parse("t", "a\0b").unwrap().markdown(), "ab");
    }

    /// What a form's `maxlength` lets through is saved: it counts a line break once, and
    /// the form sends it as CRLF.
    #[test]
    fn line_breaks_count_once_as_in_the_form() {
        let lines = "x\r\n".repeat(50_000);
        assert_eq!(Draft::parse("t", &lines).unwrap().markdown().chars().count(), 100_000);
        assert_eq!(Draft::parse("t", &format!("{lines}y")), Err(DraftError::BodyTooLong));
    }
}
