//! The one shape every secondary index here takes.

use sea_orm_migration::prelude::*;

/// `CREATE INDEX IF NOT EXISTS name ON table (columns…)`.
pub fn index<C: IntoIden>(
    name: &str,
    table: impl IntoIden,
    columns: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table).if_not_exists();
    for column in columns {
        index.col(column);
    }
    index.to_owned()
}
