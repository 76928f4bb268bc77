//! Events to rows and back: the insert every store of SQL writes an event with, and the
//! event a row (and, for an order's event, the order's rows) stands for.

use crate::sql::convert::{self, stored};
use crate::sql::entities::{event, product};
use orders_core::domain::{
    Event, EventId, EventSubject, EventType, FeedEvent, FeedPosition, Order, OrderId, OrderStatus, Product,
};
use orders_core::ports::BackendError;
use sea_orm::sea_query::{InsertStatement, Query, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// One `INSERT` of `events` (the database numbers them, and on PostgreSQL stamps them
/// with the writing transaction).
pub(crate) fn insert(events: &[Event]) -> Result<InsertStatement, BackendError> {
    use event::Column;
    let mut insert = Query::insert();
    insert.into_table(event::Entity).columns([
        Column::Id,
        Column::EventType,
        Column::OccurredAt,
        Column::OrderId,
        Column::ProductId,
        Column::ProductSku,
        Column::ProductName,
        Column::ProductPriceCents,
        Column::ProductStock,
        Column::ProductCreatedAt,
        Column::ProductUpdatedAt,
    ]);
    for event in events {
        let (order, product): (Option<Uuid>, Option<&Product>) = match &event.subject {
            EventSubject::Order(order) => (Some(order.id.as_uuid()), None),
            EventSubject::Product(product) => (None, Some(product)),
        };
        let values: [Value; 11] = [
            event.id.as_uuid().into(),
            event.kind.as_str().into(),
            event.occurred_at.into(),
            order.into(),
            product.map(|p| p.id.as_uuid()).into(),
            product.map(|p| p.sku.as_str().to_owned()).into(),
            product.map(|p| p.name.as_str().to_owned()).into(),
            product.map(|p| p.price.cents()).into(),
            product.map(|p| p.stock.units()).into(),
            product.map(|p| p.created_at).into(),
            product.map(|p| p.updated_at).into(),
        ];
        insert.values(values.map(Into::into)).map_err(BackendError::failed)?;
    }
    Ok(insert)
}

/// The ids of the orders `rows` are about.
pub(crate) fn order_ids(rows: &[event::Model]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = rows.iter().filter_map(|row| row.order_id).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The event `row` stands for; an order's event with its order from `orders`: as it
/// was placed for `order.placed`, as it is (cancelled, for good) for `order.cancelled`.
pub(crate) fn feed_event(row: event::Model, orders: &HashMap<OrderId, Order>) -> Result<FeedEvent, BackendError> {
    let kind = stored(EventType::parse(&row.event_type), "events.event_type")?;
    let position = FeedPosition::new(row.txid, row.seq);
    let missing =
        |column: &str| BackendError::failed(format!("events.{column} is missing for {kind} event {}", row.id));
    let subject = match row.order_id {
        Some(order_id) => {
            let order = orders.get(&OrderId::from_uuid(order_id)).ok_or_else(|| {
                BackendError::failed(format!("event {} names order {order_id}, which does not exist", row.id))
            })?;
            EventSubject::Order(match kind {
                EventType::OrderPlaced => order.as_placed(),
                _ if order.status == OrderStatus::Cancelled => order.clone(),
                _ => return Err(BackendError::failed(format!("event {} names an order not cancelled", row.id))),
            })
        }
        None => EventSubject::Product(convert::product(product::Model {
            id: row.product_id.ok_or_else(|| missing("product_id"))?,
            sku: row.product_sku.clone().ok_or_else(|| missing("product_sku"))?,
            name: row.product_name.clone().ok_or_else(|| missing("product_name"))?,
            price_cents: row.product_price_cents.ok_or_else(|| missing("product_price_cents"))?,
            stock: row.product_stock.ok_or_else(|| missing("product_stock"))?,
            created_at: row.product_created_at.ok_or_else(|| missing("product_created_at"))?,
            updated_at: row.product_updated_at.ok_or_else(|| missing("product_updated_at"))?,
        })?),
    };
    let event = Event { id: EventId::from_uuid(row.id), kind, occurred_at: row.occurred_at, subject };
    Ok(FeedEvent { position, event })
}
