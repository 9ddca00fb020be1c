//! An email address, normalised so that one mailbox is one account.

use std::fmt;

/// A syntactically valid, normalised email address: trimmed and lower-cased.
///
/// Lower-casing the local part is not what RFC 5321 promises, but it is what every large
/// provider does, and treating `Alice@x` and `alice@x` as two accounts would be the worse
/// surprise. Dots and `+tags` are kept: they are different mailboxes at most providers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

/// Why a string is not an email address; `Display` is the message shown next to the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailAddressError {
    Empty,
    TooLong,
    MissingAt,
    BadLocalPart,
    BadDomain,
}

impl fmt::Display for EmailAddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "Enter your email address.",
            Self::TooLong => "That email address is too long.",
            Self::MissingAt => "An email address has an @, as in name@example.com.",
            Self::BadLocalPart => "The part before the @ has characters an address cannot have.",
            Self::BadDomain => "The part after the @ is not a domain, as in example.com.",
        })
    }
}

impl std::error::Error for EmailAddressError {}

/// RFC 5321 limits: 254 for the path, 64 for the local part, 63 per DNS label.
const MAX_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;
const MAX_LABEL_LEN: usize = 63;

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, EmailAddressError> {
        let address = raw.trim().to_lowercase();
        if address.is_empty() {
            return Err(EmailAddressError::Empty);
        }
        if address.len() > MAX_LEN {
            return Err(EmailAddressError::TooLong);
        }
        let (local, domain) = address.rsplit_once('@').ok_or(EmailAddressError::MissingAt)?;
        let local_ok = !local.is_empty()
            && local.len() <= MAX_LOCAL_LEN
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b));
        if !local_ok {
            return Err(EmailAddressError::BadLocalPart);
        }
        let labels_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= MAX_LABEL_LEN
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        // A bare host ("localhost") cannot receive mail from the internet.
        if !labels_ok || !domain.contains('.') {
            return Err(EmailAddressError::BadDomain);
        }
        Ok(Self(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address with most of the local part hidden (`a•••@example.com`), for pages that
    /// anyone holding a link can see.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or((&self.0, ""));
        let first = local.chars().next().unwrap_or('•');
        format!("{first}•••@{domain}")
    }

    /// The mailbox this address most likely reaches, for per-address rate limits, so that
    /// `a.l.ice+1@gmail.com` and `alice+2@gmail.com` share one bucket: `+tags` dropped
    /// everywhere (most providers deliver them to the untagged mailbox), and at Gmail dots
    /// too, `googlemail.com` being `gmail.com`. Only for counting: mail goes to the address
    /// as typed, and accounts stay one per address.
    pub fn mailbox(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or((&self.0, ""));
        let untagged = local.split_once('+').map_or(local, |(base, _)| base);
        // "+tag@x" has no base; it is its own mailbox.
        let local = if untagged.is_empty() { local } else { untagged };
        match domain {
            "gmail.com" | "googlemail.com" => format!("{}@gmail.com", local.replace('.', "")),
            _ => format!("{local}@{domain}"),
        }
    }

    /// [`masked`](Self::masked) for an address as stored; one that no longer parses
    /// (stored under older rules) is shown as it is.
    pub fn mask_stored(stored: &str) -> String {
        Self::parse(stored).map_or_else(|_| stored.to_owned(), |a| a.masked())
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        let address = EmailAddress::parse("  Alice.Smith+News@Example.COM\n").unwrap();
        assert_eq!(address.as_str(), "alice.smith+news@example.com");
        assert_eq!(address, EmailAddress::parse("alice.smith+news@example.com").unwrap());
    }

    #[test]
    fn refuses_what_cannot_be_an_address() {
        use EmailAddressError::*;
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long_label = format!("a@{}.com", "b".repeat(64));
        let long = format!("{}@{}.com", "a".repeat(60), "b.".repeat(100));
        let cases = [
            ("", Empty),
            ("   ", Empty),
            ("alice", MissingAt),
            ("@example.com", BadLocalPart),
            ("a..b@example.com", BadLocalPart),
            (".a@example.com", BadLocalPart),
            ("a b@example.com", BadLocalPart),
            ("a\"b@example.com", BadLocalPart),
            (long_local.as_str(), BadLocalPart),
            ("a@", BadDomain),
            ("a@localhost", BadDomain),
            ("a@example..com", BadDomain),
            ("a@-example.com", BadDomain),
            ("a@exa_mple.com", BadDomain),
            ("a@b@example.com", BadLocalPart),
            (long_label.as_str(), BadDomain),
            (long.as_str(), TooLong),
        ];
        for (raw, expected) in cases {
            assert_eq!(EmailAddress::parse(raw), Err(expected), "{raw:?}");
        }
    }

    #[test]
    fn accepts_unusual_but_valid_addresses() {
        for raw in [
            "o'brien@example.ie",
            "x@sub.example.co.uk",
            "user+tag@xn--bcher-kva.example",
            "1@2.io",
        ] {
            assert!(EmailAddress::parse(raw).is_ok(), "{raw}");
        }
    }

    #[test]
    fn one_mailbox_for_tags_and_gmail_dots() {
        let mailbox = |raw: &str| EmailAddress::parse(raw).unwrap().mailbox();
        assert_eq!(mailbox("A.L.Ice+news@gmail.com"), "alice@gmail.com");
        assert_eq!(mailbox("alice@googlemail.com"), "alice@gmail.com");
        assert_eq!(mailbox("alice.smith+x+y@example.com"), "alice.smith@example.com");
        assert_eq!(mailbox("+only@example.com"), "+only@example.com");
        assert_eq!(mailbox("bob@example.com"), "bob@example.com");
    }

    #[test]
    fn masks_the_local_part() {
        assert_eq!(EmailAddress::parse("alice@example.com").unwrap().masked(), "a•••@example.com");
    }
}
