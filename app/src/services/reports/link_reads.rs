//! A report link's rows as its views and its email read them: the link, its report and its
//! owner, in one query for all the views waiting (see `reads_by_id`).

use std::collections::BTreeSet;

use sea_orm::{ColumnTrait as _, DatabaseConnection, DbErr, EntityTrait as _, QueryFilter as _};

use crate::entities::{report, report_link, user};
use crate::services::reads_by_id::ReadById;

pub struct LinkRows;

impl ReadById for LinkRows {
    type Row = (report_link::Model, report::Model, user::Model);

    async fn read(
        &self,
        db: &DatabaseConnection,
        ids: BTreeSet<i64>,
    ) -> Result<Vec<(i64, Self::Row)>, DbErr> {
        let rows = report_link::Entity::find()
            .filter(report_link::Column::Id.is_in(ids))
            .find_also_related(report::Entity)
            .find_also(report_link::Entity, user::Entity)
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(link, report, owner)| Some((link.id, (link, report?, owner?))))
            .collect())
    }
}
