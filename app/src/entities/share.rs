use sea_orm::entity::prelude::*;

/// A report shared read-only with a guest, or with whoever holds a copied link. Its token
/// names this row and is signed independently of the owner's sessions. Revoking stamps
/// `revoked_at`; deleting the report empties `report_id` (the row still counts towards
/// the owner's shares per day, and is purged after). Times are Unix seconds.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shares")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `None` once the report is deleted: the share opens nothing.
    pub report_id: Option<i64>,
    pub owner_id: i64,
    /// The guest's account; `None` for a copied link.
    pub guest_id: Option<i64>,
    pub message: Option<String>,
    pub named_only: bool,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_opened_at: Option<i64>,
    pub opens_people: i64,
    pub opens_automated: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::report::Entity",
        from = "Column::ReportId",
        to = "super::report::Column::Id"
    )]
    Report,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::OwnerId",
        to = "super::user::Column::Id"
    )]
    Owner,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::GuestId",
        to = "super::user::Column::Id"
    )]
    Guest,
}

impl Related<super::report::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Report.def()
    }
}

/// The owner: the account whose status the link checks.
impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Owner.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
