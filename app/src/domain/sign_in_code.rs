//! The 6-digit code in a sign-in email, as someone types it.

use std::fmt;

/// Exactly six ASCII digits. Spaces and dashes are accepted and dropped, as people copy
/// `123 456` or `123-456` from the message.
#[derive(Clone, PartialEq, Eq)]
pub struct SignInCode(String);

impl SignInCode {
    pub const LEN: usize = 6;

    pub fn parse(raw: &str) -> Option<Self> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        (digits.len() == Self::LEN && digits.bytes().all(|b| b.is_ascii_digit()))
            .then_some(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Never printed in full: a code in a log line is a code someone else can use.
impl fmt::Debug for SignInCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SignInCode(******)")
    }
}

#[cfg(test)]
mod tests {
    use super::SignInCode;

    #[test]
    fn six_digits_with_optional_separators() {
        assert_eq!(SignInCode::parse("123456").unwrap().as_str(), "123456");
        assert_eq!(SignInCode::parse(" 123 456 ").unwrap().as_str(), "123456");
        assert_eq!(SignInCode::parse("123-456").unwrap().as_str(), "123456");
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６"] {
            assert!(SignInCode::parse(bad).is_none(), "{bad:?}");
        }
        assert!(!format!("{:?}", SignInCode::parse("123456").unwrap()).contains("123"));
    }
}
