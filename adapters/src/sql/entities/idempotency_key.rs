//! The `idempotency_keys` table: per user and key, the request's fingerprint and how
//! its first attempt ended (an order, or a refusal with its details).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub fingerprint: String,
    /// `placed`, `product_not_found`, `out_of_stock` or `price_overflow`.
    pub outcome: String,
    pub order_id: Option<Uuid>,
    pub product_id: Option<Uuid>,
    pub requested: Option<i64>,
    pub available: Option<i64>,
    /// Milliseconds since the Unix epoch, so that comparisons are numeric everywhere.
    pub created_at_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
