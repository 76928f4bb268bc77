//! The `events` table, the outbox: one row per event, written in the same transaction
//! as its change. An order's event names the order (whose rows say the rest); a
//! product's event keeps the product as the change left it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// PostgreSQL: the id of the transaction that wrote the row; SQLite: 0.
    pub txid: i64,
    pub id: Uuid,
    pub event_type: String,
    pub occurred_at: DateTimeUtc,
    pub order_id: Option<Uuid>,
    pub product_id: Option<Uuid>,
    pub product_sku: Option<String>,
    pub product_name: Option<String>,
    pub product_price_cents: Option<i64>,
    pub product_stock: Option<i64>,
    pub product_created_at: Option<DateTimeUtc>,
    pub product_updated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
