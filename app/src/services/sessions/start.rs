//! Starting signed-in sessions inside a sign-in's own transaction: the record is written
//! in tower-sessions' format, with one of its ids, so a spent link or code and the session
//! it grants commit together or not at all, and the sign-in costs one trip through the
//! writer instead of two. Everything after that (loading, idle renewal, sign-out) is the
//! library's.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use sea_orm::{ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _, QueryFilter as _};
use tower_sessions::session::Id;

use super::record::{KEY, SignedInSession};
use super::{store, stored_id};
use crate::entities::session;
use crate::services::time::{secs, unix_secs};

/// A fresh id taken this many times in a row means the ids are not random.
pub(super) const MAX_ID_DRAWS: usize = 4;

/// A session to start for an account that has just signed in.
pub(crate) struct Start<'a> {
    pub user_id: i64,
    pub token_epoch: i64,
    /// The browser's current session, which the new one replaces.
    pub replaces: Option<&'a str>,
    /// The personal link signing in, if one is (see `SignedInSession::personal_link`).
    pub personal_link: Option<i64>,
}

/// Starts a session for each of `starts`, in the caller's transaction, under a fresh id,
/// and ends the sessions they replace; answers each, in order, with the id for the cookie.
/// An id the browser held before (possibly planted by someone else) never becomes a
/// signed-in one.
pub(crate) async fn start(
    txn: &impl ConnectionTrait,
    starts: &[Start<'_>],
    now: SystemTime,
    idle: Duration,
) -> Result<Vec<String>, DbErr> {
    let now = unix_secs(now);
    let replaced: Vec<String> = starts.iter().filter_map(|s| s.replaces).map(stored_id).collect();
    if !replaced.is_empty() {
        session::Entity::delete_many()
            .filter(session::Column::Id.is_in(replaced))
            .exec(txn)
            .await?;
    }
    let mut rows: Vec<session::Model> = starts
        .iter()
        .map(|start| {
            let record = SignedInSession {
                user_id: start.user_id,
                token_epoch: start.token_epoch,
                signed_in_at: now,
                seen_at: now,
                personal_link: start.personal_link,
                seen_from: None,
            };
            let data = serde_json::json!({ KEY: record }).to_string();
            session::Model {
                id: String::new(),
                data,
                expires_at: now + secs(idle),
                user_id: Some(start.user_id),
            }
        })
        .collect();
    // Ids are 128 random bits, so a collision is all but impossible; if one happens, draw
    // another id rather than overwrite someone else's session.
    let mut ids = vec![String::new(); rows.len()];
    let mut waiting: Vec<usize> = (0..rows.len()).collect();
    for _ in 0..MAX_ID_DRAWS {
        if waiting.is_empty() {
            break;
        }
        let batch = waiting.iter().map(|&i| {
            ids[i] = Id::default().to_string();
            rows[i].id = stored_id(&ids[i]);
            rows[i].clone()
        });
        let batch: Vec<_> = batch.collect();
        let inserted = store::insert_new(txn, batch).await?;
        let taken: HashSet<usize> =
            waiting.iter().zip(inserted).filter(|(_, ok)| !ok).map(|(i, _)| *i).collect();
        waiting.retain(|i| taken.contains(i));
    }
    if !waiting.is_empty() {
        return Err(DbErr::Custom("no free session id after several draws".into()));
    }
    Ok(ids)
}
