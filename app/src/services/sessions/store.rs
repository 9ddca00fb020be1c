//! tower-sessions' store on SeaORM: sessions live in the database, so every instance sees
//! them and a restart signs nobody out. The library owns ids, cookies and expiry; this only
//! persists records, each under its id's SHA-256 (the id itself is the cookie's secret). Sessions started by signing in are written by the sign-in itself (see
//! `start`); the library creates no others today, so its `create` writes directly.

use std::collections::HashSet;
use std::time::SystemTime;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _, QueryFilter as _, Set,
    TryInsertResult,
};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use super::record::KEY;
use super::{Sessions, stored_id};
use crate::entities::session;
use crate::services::Db;
use crate::services::time::unix_secs;

#[derive(Clone, Debug)]
pub struct SeaOrmSessionStore {
    db: Db,
}

impl SeaOrmSessionStore {
    /// A store on the sessions' database.
    pub fn new(sessions: &Sessions) -> Self {
        Self { db: sessions.db.clone() }
    }

    /// Deletes expired records; they are never loaded, this only reclaims the space.
    pub async fn purge_expired(&self, now: SystemTime) -> Result<u64, DbErr> {
        let deleted = session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(unix_secs(now)))
            .exec(&self.db.write)
            .await?;
        Ok(deleted.rows_affected)
    }
}

fn row(record: &Record) -> session_store::Result<session::Model> {
    let data = serde_json::to_string(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    let user_id =
        record.data.get(KEY).and_then(|auth| auth.get("user_id")).and_then(|id| id.as_i64());
    Ok(session::Model {
        id: stored_id(&record.id.to_string()),
        data,
        expires_at: record.expiry_date.unix_timestamp(),
        user_id,
    })
}

fn insertable(row: session::Model) -> session::ActiveModel {
    session::ActiveModel {
        id: Set(row.id),
        data: Set(row.data),
        expires_at: Set(row.expires_at),
        user_id: Set(row.user_id),
    }
}

/// Inserts new sessions, one statement for all; answers whether each was inserted (false:
/// its id was taken).
pub(super) async fn insert_new(
    txn: &impl ConnectionTrait,
    rows: Vec<session::Model>,
) -> Result<Vec<bool>, DbErr> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let inserted: HashSet<String> =
        match session::Entity::insert_many(rows.into_iter().map(insertable))
            .on_conflict_do_nothing_on([session::Column::Id])
            .exec_with_returning_keys(txn)
            .await?
        {
            TryInsertResult::Inserted(keys) => keys.into_iter().collect(),
            TryInsertResult::Conflicted | TryInsertResult::Empty => HashSet::new(),
        };
    // Of two rows with one id in a batch, the first took it.
    let mut answered = HashSet::with_capacity(ids.len());
    Ok(ids.into_iter().map(|id| inserted.contains(&id) && answered.insert(id)).collect())
}

fn backend(e: DbErr) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait::async_trait]
impl SessionStore for SeaOrmSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits, so a collision is all but impossible; if one happens,
        // draw another id rather than overwrite someone else's session.
        for _ in 0..super::start::MAX_ID_DRAWS {
            if insert_new(&self.db.write, vec![row(record)?]).await.map_err(backend)? == [true] {
                return Ok(());
            }
            record.id = Id::default();
        }
        Err(session_store::Error::Backend("no free session id after several draws".into()))
    }

    /// Updates, never inserts: a request that loaded a session before it was ended (signed
    /// out, or ended from the Access page) must not write it back when it finishes. New
    /// records come through `create` (and the sign-in's own insert).
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let row = row(record)?;
        session::Entity::update_many()
            .col_expr(session::Column::Data, Expr::value(row.data))
            .col_expr(session::Column::ExpiresAt, Expr::value(row.expires_at))
            .col_expr(session::Column::UserId, Expr::value(row.user_id))
            .filter(session::Column::Id.eq(row.id))
            .exec(&self.db.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = unix_secs(SystemTime::now());
        let Some(found) = session::Entity::find_by_id(stored_id(&id.to_string()))
            .filter(session::Column::ExpiresAt.gt(now))
            .one(&self.db.read)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&found.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(found.expires_at)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        session::Entity::delete_by_id(stored_id(&id.to_string()))
            .exec(&self.db.write)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
