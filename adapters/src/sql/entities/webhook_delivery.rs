//! The `webhook_deliveries` table: one row per attempt to deliver an event to an
//! endpoint.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub event_txid: i64,
    pub event_seq: i64,
    pub attempted_at: DateTimeUtc,
    /// The endpoint's HTTP status, when it answered.
    pub status_code: Option<i32>,
    /// What failed, when it did not answer.
    pub error: Option<String>,
    pub latency_ms: i64,
    pub next_retry_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
