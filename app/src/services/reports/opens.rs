//! Counting link opens without a write per view. Opens are added up in memory and written
//! every second, one statement per link for all its opens since the last write, so a
//! popular link costs one UPDATE a second however often it is read.
//!
//! Each instance counts its own opens and adds them (`opens = opens + n`), so counts from
//! several instances sum correctly. A crash loses at most the last second's opens; a
//! count is a figure for people, not a credential, so that trade is worth it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ColumnTrait as _, DatabaseConnection, DbErr, EntityTrait as _, QueryFilter as _,
    TransactionTrait as _,
};

use crate::entities::report_link;
use crate::services::time::unix_secs;

const EVERY: Duration = Duration::from_secs(1);

/// Opens counted since the last write, per report link: how many, and the latest.
#[derive(Clone, Debug, Default)]
pub struct Opens {
    pending: Arc<Mutex<HashMap<i64, (i64, i64)>>>,
}

impl Opens {
    /// A counter whose opens `write` is written to every second, from a task of its own
    /// (started from within a Tokio runtime; it ends when the last handle is dropped).
    pub fn start(write: DatabaseConnection) -> Self {
        let opens = Self::default();
        let weak = Arc::downgrade(&opens.pending);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(EVERY);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                let Some(pending) = weak.upgrade() else { return };
                let opens = Self { pending };
                if let Err(error) = opens.flush(&write).await {
                    tracing::warn!(%error, "could not write link opens; retrying next second");
                }
            }
        });
        opens
    }

    pub fn count(&self, link_id: i64, now: SystemTime) {
        let now = unix_secs(now);
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = pending.entry(link_id).or_default();
        entry.0 += 1;
        entry.1 = Ord::max(entry.1, now);
    }

    /// Writes every open counted so far, in one transaction; on failure they are kept for
    /// the next try.
    pub async fn flush(&self, write: &DatabaseConnection) -> Result<(), DbErr> {
        let taken =
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner));
        if taken.is_empty() {
            return Ok(());
        }
        let written = async {
            let txn = write.begin().await?;
            for (&id, &(count, last)) in &taken {
                report_link::Entity::update_many()
                    .col_expr(
                        report_link::Column::Opens,
                        Expr::col(report_link::Column::Opens).add(count),
                    )
                    // The latest of what every instance saw, not whichever wrote last.
                    .col_expr(
                        report_link::Column::LastOpenedAt,
                        Expr::case(
                            Expr::col(report_link::Column::LastOpenedAt)
                                .is_null()
                                .or(Expr::col(report_link::Column::LastOpenedAt).lt(last)),
                            last,
                        )
                        .finally(Expr::col(report_link::Column::LastOpenedAt))
                        .into(),
                    )
                    .filter(report_link::Column::Id.eq(id))
                    .exec(&txn)
                    .await?;
            }
            txn.commit().await
        };
        if let Err(error) = written.await {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            for (id, (count, last)) in taken {
                let entry = pending.entry(id).or_default();
                entry.0 += count;
                entry.1 = Ord::max(entry.1, last);
            }
            return Err(error);
        }
        Ok(())
    }
}
