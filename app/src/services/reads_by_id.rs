//! Reading rows by id in batches: the reads every view of a link needs (its row, the
//! report and the owner), for all the views waiting, in one `IN (…)` query (see
//! `batcher`).
//!
//! A link is read on every view, and on SQLite each query is a round trip to a
//! connection's own thread and back, plus another as the pool takes the connection back:
//! one view at a time, those hand-offs cost more than the query itself (bench/README.md).
//! Views that arrive together now share them; a view alone is a batch of one, as before.
//! Reads only: what a batch returns is what the database held when it ran, as for any read.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;

use sea_orm::{DatabaseConnection, DbErr};

use crate::services::batcher::{Batch, Batcher, Placement};

/// Rows of one kind, read by id.
pub trait ReadById: Send + Sync + 'static {
    type Row: Clone + Send + Sync + 'static;

    /// The rows with these ids that exist, each with its id.
    fn read(
        &self,
        db: &DatabaseConnection,
        ids: BTreeSet<i64>,
    ) -> impl Future<Output = Result<Vec<(i64, Self::Row)>, DbErr>> + Send;
}

/// The handle reads are submitted through: an id each, answered with its row, if any.
/// Cheap to clone.
pub type Reader<R> = Batcher<ReadsById<R>>;

/// Starts reading `rows` through `read`, where reads of its backend batch best.
pub fn start<R: ReadById>(read: DatabaseConnection, rows: R) -> Reader<R> {
    let placement = Placement::for_backend(read.get_database_backend());
    Batcher::start(ReadsById { read, rows }, placement)
}

pub struct ReadsById<R> {
    read: DatabaseConnection,
    rows: R,
}

impl<R: ReadById> Batch for ReadsById<R> {
    type Job = i64;
    type Done = Option<R::Row>;

    async fn run(&self, ids: &[i64]) -> Result<Vec<Option<R::Row>>, DbErr> {
        let wanted: BTreeSet<i64> = ids.iter().copied().collect();
        let mut found: HashMap<i64, R::Row> =
            self.rows.read(&self.read, wanted).await?.into_iter().collect();
        // A row asked for several times in one batch is copied for all but its last asker.
        let mut asked: HashMap<i64, usize> = HashMap::new();
        for id in ids {
            *asked.entry(*id).or_default() += 1;
        }
        let answers = ids.iter().map(|id| match asked.get_mut(id) {
            Some(left) if *left > 1 => {
                *left -= 1;
                found.get(id).cloned()
            }
            _ => found.remove(id),
        });
        Ok(answers.collect())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Even ids exist; every set of ids asked for is kept.
    #[derive(Default)]
    struct Evens(Mutex<Vec<BTreeSet<i64>>>);

    impl ReadById for Evens {
        type Row = String;

        async fn read(
            &self,
            _db: &DatabaseConnection,
            ids: BTreeSet<i64>,
        ) -> Result<Vec<(i64, String)>, DbErr> {
            self.0.lock().unwrap().push(ids.clone());
            Ok(ids
                .into_iter()
                .filter(|id| id % 2 == 0)
                .map(|id| (id, format!("row {id}")))
                .collect())
        }
    }

    #[tokio::test]
    async fn each_asker_gets_its_own_row_in_order_from_one_read() {
        let reads = ReadsById { read: DatabaseConnection::default(), rows: Evens::default() };
        let answers = reads.run(&[4, 1, 4, 2, 4]).await.unwrap();
        let row = |id: i64| Some(format!("row {id}"));
        assert_eq!(answers, [row(4), None, row(4), row(2), row(4)]);
        assert_eq!(*reads.rows.0.lock().unwrap(), [BTreeSet::from([1, 2, 4])]);
    }
}
