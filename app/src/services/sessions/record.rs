//! What a signed-in session record holds, in tower-sessions' data map.

use serde::{Deserialize, Serialize};

/// The record's key in the session's data.
pub(super) const KEY: &str = "auth";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct SignedInSession {
    pub user_id: i64,
    /// The account's epoch at sign-in: "sign out everywhere" bumps it, ending this session.
    pub token_epoch: i64,
    pub signed_in_at: i64,
    pub seen_at: i64,
    /// The personal link that signed this session in, if one did: revoking the link ends
    /// the session. `None` for a sign-in by email (link or code).
    #[serde(default)]
    pub personal_link: Option<i64>,
    /// Where the session was last seen from, for the account's Access page.
    #[serde(default)]
    pub seen_from: Option<SeenFrom>,
}

/// A browser's address and User-Agent, as a request showed them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenFrom {
    pub ip: String,
    pub user_agent: String,
}
