//! Events on the wire, as the feed lists them and as webhooks deliver them: one
//! rendering of each event, whose `data` is the resource exactly as the API answers it
//! elsewhere (the same `Order` and `Product` conversions).

use super::orders::OrderResponse;
use super::products::ProductResponse;
use chrono::{DateTime, Utc};
use orders_core::domain::{Event, EventSubject, EventType};
use poem_openapi::types::ToJSON;
use poem_openapi::{Enum, Object, Union};
use serde::Deserialize;
use uuid::Uuid;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, Deserialize)]
#[oai(rename = "EventType")]
pub enum EventTypeDto {
    /// An order was placed (`data` is the Order as placed; its items are the stock it took).
    #[oai(rename = "order.placed")]
    #[serde(rename = "order.placed")]
    OrderPlaced,
    /// An order was cancelled (`data` is the Order as cancelled; its items are the stock it gave back).
    #[oai(rename = "order.cancelled")]
    #[serde(rename = "order.cancelled")]
    OrderCancelled,
    /// A product was added (`data` is the Product).
    #[oai(rename = "product.created")]
    #[serde(rename = "product.created")]
    ProductCreated,
    /// A product's name or price was edited (`data` is the Product after the edit).
    #[oai(rename = "product.updated")]
    #[serde(rename = "product.updated")]
    ProductUpdated,
    /// A product was restocked (`data` is the Product after the restock).
    #[oai(rename = "product.restocked")]
    #[serde(rename = "product.restocked")]
    ProductRestocked,
    /// An order took a product's last units (`data` is the Product, with no stock).
    #[oai(rename = "product.out_of_stock")]
    #[serde(rename = "product.out_of_stock")]
    ProductOutOfStock,
}

impl From<EventType> for EventTypeDto {
    fn from(kind: EventType) -> Self {
        match kind {
            EventType::OrderPlaced => Self::OrderPlaced,
            EventType::OrderCancelled => Self::OrderCancelled,
            EventType::ProductCreated => Self::ProductCreated,
            EventType::ProductUpdated => Self::ProductUpdated,
            EventType::ProductRestocked => Self::ProductRestocked,
            EventType::ProductOutOfStock => Self::ProductOutOfStock,
        }
    }
}

impl From<EventTypeDto> for EventType {
    fn from(kind: EventTypeDto) -> Self {
        match kind {
            EventTypeDto::OrderPlaced => Self::OrderPlaced,
            EventTypeDto::OrderCancelled => Self::OrderCancelled,
            EventTypeDto::ProductCreated => Self::ProductCreated,
            EventTypeDto::ProductUpdated => Self::ProductUpdated,
            EventTypeDto::ProductRestocked => Self::ProductRestocked,
            EventTypeDto::ProductOutOfStock => Self::ProductOutOfStock,
        }
    }
}

/// The resource an event is about, as the change left it: an Order for `order.*`
/// events, a Product for `product.*` events.
#[derive(Debug, Clone, Union)]
#[oai(rename = "EventData")]
pub enum EventData {
    Order(OrderResponse),
    Product(ProductResponse),
}

/// Something that happened, recorded in the same transaction as the change itself.
/// The body of every webhook delivery is one of these.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Event")]
pub struct EventResponse {
    /// A UUIDv7, the same in the feed and on every delivery (`webhook-id`): drop
    /// duplicates by it.
    pub id: Uuid,
    #[oai(rename = "type")]
    pub kind: EventTypeDto,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
    pub data: EventData,
}

impl From<Event> for EventResponse {
    fn from(event: Event) -> Self {
        let data = match event.subject {
            EventSubject::Order(order) => EventData::Order(order.into()),
            EventSubject::Product(product) => EventData::Product(product.into()),
        };
        Self { id: event.id.as_uuid(), kind: event.kind.into(), occurred_at: event.occurred_at, data }
    }
}

impl EventResponse {
    /// The JSON of `event`: the feed's item, and the body of its webhook deliveries.
    pub fn render(event: &Event) -> String {
        Self::from(event.clone()).to_json_string()
    }
}

/// A page of the event feed, oldest first.
#[derive(Debug, Clone, Object)]
#[oai(rename = "EventPage")]
pub struct EventPage {
    pub items: Vec<EventResponse>,
    /// Where to read on from: pass as `?cursor=` next time. Never `null`: the feed has
    /// no last page; when `items` is empty this is the cursor you sent (or the start of
    /// the feed), to poll again with.
    pub next_cursor: String,
}
