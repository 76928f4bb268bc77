//! The `webhooks` table: an endpoint, its secret, the feed position its events were
//! delivered up to, and which worker holds its lease until when.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub url: String,
    /// The event types, joined by commas.
    pub events: String,
    pub secret: String,
    /// `active` or `failing`.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub cursor_txid: i64,
    pub cursor_seq: i64,
    pub lease_holder: Option<Uuid>,
    /// Milliseconds since the Unix epoch; kept when the lease ends, so that the endpoint
    /// leased longest ago goes first.
    pub lease_until_ms: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
