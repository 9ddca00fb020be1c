//! Why a token was refused. For logs only: people are shown one generic message, so that
//! an attacker probing tokens learns nothing from the answer.

/// The reason a token did not verify or redeem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rejection {
    /// Not a token of this format: bad base64, wrong length, unknown version or flags, or
    /// a layout that does not match the purpose (e.g. a nonce on a reusable purpose).
    Malformed,
    /// Signed by a key that is not (or no longer) in the ring.
    UnknownKey,
    /// The tag does not match: forged, altered, minted for another purpose, or the
    /// subject's revocation material (epoch, email) has changed since.
    BadSignature,
    /// Older than the purpose's max-age.
    Expired,
    /// Issued further in the future than the allowed clock skew between servers.
    IssuedInFuture,
    /// Valid, but for another resource than the one asked for.
    WrongResource,
    /// A single-use token that was already redeemed, or (reported by the caller) a token
    /// spent by its row, as a sign-in link by its request.
    AlreadyUsed,
    /// The subject no longer exists (reported by the caller after its lookup).
    UnknownSubject,
    /// The subject exists but is deactivated (reported by the caller).
    InactiveSubject,
}

impl Rejection {
    /// A short, stable label for structured logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnknownKey => "unknown key",
            Self::BadSignature => "bad signature",
            Self::Expired => "expired",
            Self::IssuedInFuture => "issued in the future",
            Self::WrongResource => "wrong resource",
            Self::AlreadyUsed => "already used",
            Self::UnknownSubject => "unknown subject",
            Self::InactiveSubject => "inactive subject",
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for Rejection {}
