//! Where to land after signing in: only a path on this site, never another origin.

use std::fmt;

const MAX_LEN: usize = 512;

/// A same-origin path such as `/reports/7?tab=shares`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextPath(String);

impl NextPath {
    /// Where people land when no (acceptable) `next` was given.
    pub const DEFAULT: &str = "/dashboard";

    /// `None` for anything that could leave the site: `//evil.example` and `/\evil.example`
    /// are protocol-relative to browsers, a scheme is another origin, and control
    /// characters are stripped by browsers, turning `/\t/evil` into `//evil`.
    pub fn parse(raw: &str) -> Option<Self> {
        // ASCII only: browsers send non-ASCII paths percent-encoded, and the path ends up in
        // a Location header, which must be visible ASCII.
        let ok = raw.len() <= MAX_LEN
            && raw.is_ascii()
            && raw.starts_with('/')
            && !raw.starts_with("//")
            && !raw.contains('\\')
            && !raw.chars().any(|c| c.is_control() || c.is_whitespace());
        ok.then(|| Self(raw.to_owned()))
    }

    /// The path, or the dashboard when `raw` is missing or unacceptable.
    pub fn or_default(raw: Option<&str>) -> String {
        raw.and_then(Self::parse).map_or_else(|| Self::DEFAULT.to_owned(), |p| p.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NextPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::NextPath;

    #[test]
    fn only_same_origin_paths() {
        for good in ["/", "/dashboard", "/reports/7?tab=shares#top", "/a/b%2F"] {
            assert_eq!(NextPath::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "dashboard",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "/ spaces",
            "/caf\u{e9}",
            &format!("/{}", "a".repeat(600)),
        ] {
            assert_eq!(NextPath::parse(bad), None, "{bad:?}");
        }
        assert_eq!(NextPath::or_default(Some("//evil")), "/dashboard");
        assert_eq!(NextPath::or_default(None), "/dashboard");
    }
}
