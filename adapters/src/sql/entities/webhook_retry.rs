//! The `webhook_retries` table: an event to deliver to an endpoint again, when, and who
//! claimed it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_retries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub webhook_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_seq: i64,
    pub event_txid: i64,
    pub event_id: Uuid,
    pub failures: i32,
    pub first_attempt_at_ms: i64,
    pub due_at_ms: i64,
    /// Asked for by an admin: one attempt, even while the endpoint is failing.
    pub manual: bool,
    pub lease_holder: Option<Uuid>,
    pub lease_until_ms: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
