//! tower-sessions' store on SeaORM: sessions live in the database, so every instance sees
//! them and a restart signs nobody out. The library owns ids, cookies and expiry; this only
//! persists records.

use std::time::SystemTime;

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait as _, DbErr, EntityTrait as _, QueryFilter as _, Set};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::entities::session;
use crate::services::Db;
use crate::services::time::unix_secs;

#[derive(Clone, Debug)]
pub struct SeaOrmSessionStore {
    db: Db,
}

impl SeaOrmSessionStore {
    pub fn new(db: Db) -> Self {
        Self { db }
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

fn row(record: &Record) -> session_store::Result<session::ActiveModel> {
    let data = serde_json::to_string(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    Ok(session::ActiveModel {
        id: Set(record.id.to_string()),
        data: Set(data),
        expires_at: Set(record.expiry_date.unix_timestamp()),
    })
}

fn backend(e: DbErr) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait::async_trait]
impl SessionStore for SeaOrmSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits, so a collision is all but impossible; if one happens,
        // draw another id rather than overwrite someone else's session.
        loop {
            let inserted = session::Entity::insert(row(record)?)
                .on_conflict(OnConflict::column(session::Column::Id).do_nothing().to_owned())
                .exec_without_returning(&self.db.write)
                .await
                .map_err(backend)?;
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        session::Entity::insert(row(record)?)
            .on_conflict(
                OnConflict::column(session::Column::Id)
                    .update_columns([session::Column::Data, session::Column::ExpiresAt])
                    .to_owned(),
            )
            .exec_without_returning(&self.db.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = unix_secs(SystemTime::now());
        let Some(found) = session::Entity::find_by_id(id.to_string())
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
        session::Entity::delete_by_id(id.to_string())
            .exec(&self.db.write)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
