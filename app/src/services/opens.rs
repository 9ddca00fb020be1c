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

use sea_orm::sea_query::{Expr, ExprTrait as _, IntoIden, SimpleExpr};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter as _,
    TransactionTrait as _,
};

use crate::entities::{report_link, share};
use crate::services::time::unix_secs;

const EVERY: Duration = Duration::from_secs(1);

/// Who opened a link, as far as the request tells: what the owner's counts are made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Visit {
    /// `HEAD`, prefetch or prerender: nobody looked, so nothing is counted.
    NotCounted,
    /// A browser's page load that looks like a person's.
    Person,
    /// A link scanner, a preview fetcher or a script (see `crate::visitors`).
    Automated,
}

/// What an open is counted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Counter {
    ReportLink(i64),
    /// A share's people or automated opens (never [`Visit::NotCounted`]).
    Share(i64, Visit),
}

/// Opens counted since the last write, per counter: how many, and the latest.
#[derive(Clone, Debug, Default)]
pub struct Opens {
    pending: Arc<Mutex<HashMap<Counter, (i64, i64)>>>,
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

    pub fn count(&self, counter: Counter, now: SystemTime) {
        if matches!(counter, Counter::Share(_, Visit::NotCounted)) {
            return;
        }
        let now = unix_secs(now);
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = pending.entry(counter).or_default();
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
            for (&counter, &(count, last)) in &taken {
                match counter {
                    Counter::ReportLink(id) => {
                        add::<report_link::Entity>(
                            &txn,
                            report_link::Column::Id.eq(id),
                            report_link::Column::Opens,
                            report_link::Column::LastOpenedAt,
                            count,
                            last,
                        )
                        .await?;
                    }
                    Counter::Share(id, visit) => {
                        let opens = match visit {
                            Visit::Automated => share::Column::OpensAutomated,
                            _ => share::Column::OpensPeople,
                        };
                        add::<share::Entity>(
                            &txn,
                            share::Column::Id.eq(id),
                            opens,
                            share::Column::LastOpenedAt,
                            count,
                            last,
                        )
                        .await?;
                    }
                }
            }
            txn.commit().await
        };
        if let Err(error) = written.await {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            for (counter, (count, last)) in taken {
                let entry = pending.entry(counter).or_default();
                entry.0 += count;
                entry.1 = Ord::max(entry.1, last);
            }
            return Err(error);
        }
        Ok(())
    }
}

/// `opens = opens + count`, and `last_opened` the latest of what every instance saw (not
/// whichever wrote last), on the row `filter` picks.
async fn add<E: EntityTrait>(
    txn: &DatabaseTransaction,
    filter: SimpleExpr,
    opens: E::Column,
    last_opened: E::Column,
    count: i64,
    last: i64,
) -> Result<(), DbErr>
where
    E::Column: ColumnTrait + IntoIden,
{
    E::update_many()
        .col_expr(opens, Expr::col(opens).add(count))
        .col_expr(
            last_opened,
            Expr::case(Expr::col(last_opened).is_null().or(Expr::col(last_opened).lt(last)), last)
                .finally(Expr::col(last_opened))
                .into(),
        )
        .filter(filter)
        .exec(txn)
        .await?;
    Ok(())
}
