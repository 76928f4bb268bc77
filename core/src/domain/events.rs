//! Events: what changed in the shop, recorded by the store in the same atomic step as
//! the change itself (a transactional outbox), for the event feed and for webhooks.
//!
//! The rules of which change records which event are the constructors of [`Event`]:
//! placing an order records `order.placed`, and `product.out_of_stock` for each of its
//! products it left with no stock; cancelling records `order.cancelled`; creating,
//! editing and restocking a product record `product.created`, `product.updated` and
//! `product.restocked`. An event's subject is the resource as the change left it.
//!
//! Events are read in feed order ([`FeedPosition`]), which is the order their changes
//! became durable in; a reader that follows the feed sees every event once.

use super::ids::EventId;
use super::order::{Order, OrderStatus};
use super::product::Product;
use super::time::Timestamp;
use super::user::wire_names;
use super::validation::Invalid;
use std::fmt;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// An order was placed; its lines say the stock it took.
    OrderPlaced,
    /// An order was cancelled; its lines say the stock it gave back.
    OrderCancelled,
    ProductCreated,
    /// A product's name or price was edited.
    ProductUpdated,
    ProductRestocked,
    /// An order took a product's last units.
    ProductOutOfStock,
}

wire_names!(EventType {
    OrderPlaced => "order.placed",
    OrderCancelled => "order.cancelled",
    ProductCreated => "product.created",
    ProductUpdated => "product.updated",
    ProductRestocked => "product.restocked",
    ProductOutOfStock => "product.out_of_stock",
});

impl EventType {
    pub const ALL: [EventType; 6] = [
        EventType::OrderPlaced,
        EventType::OrderCancelled,
        EventType::ProductCreated,
        EventType::ProductUpdated,
        EventType::ProductRestocked,
        EventType::ProductOutOfStock,
    ];
}

/// The resource an event is about, as the change left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventSubject {
    Order(Order),
    Product(Product),
}

/// One event of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: EventId,
    pub kind: EventType,
    pub occurred_at: Timestamp,
    pub subject: EventSubject,
}

impl Event {
    fn new(kind: EventType, occurred_at: Timestamp, subject: EventSubject) -> Self {
        Self { id: EventId::generate(), kind, occurred_at, subject }
    }

    /// `order.placed`, when `order` is placed: the order as placed.
    pub fn order_placed(order: &Order) -> Self {
        Self::new(EventType::OrderPlaced, order.created_at, EventSubject::Order(order.as_placed()))
    }

    /// `order.cancelled`, when `order` was cancelled at `at`: the order as cancelled.
    pub fn order_cancelled(order: &Order, at: Timestamp) -> Self {
        let cancelled = Order { status: OrderStatus::Cancelled, cancelled_at: Some(at), ..order.clone() };
        Self::new(EventType::OrderCancelled, at, EventSubject::Order(cancelled))
    }

    /// `product.created`, when `product` was added.
    pub fn product_created(product: &Product) -> Self {
        Self::new(EventType::ProductCreated, product.created_at, EventSubject::Product(product.clone()))
    }

    /// `product.updated`, when an edit left `product` so.
    pub fn product_updated(product: &Product) -> Self {
        Self::new(EventType::ProductUpdated, product.updated_at, EventSubject::Product(product.clone()))
    }

    /// `product.restocked`, when a restock left `product` so.
    pub fn product_restocked(product: &Product) -> Self {
        Self::new(EventType::ProductRestocked, product.updated_at, EventSubject::Product(product.clone()))
    }

    /// `product.out_of_stock` when an order placed at `at` left `product` with no
    /// stock; nothing when units are left.
    pub fn stock_taken(product: &Product, at: Timestamp) -> Option<Self> {
        (product.stock.units() == 0)
            .then(|| Self::new(EventType::ProductOutOfStock, at, EventSubject::Product(product.clone())))
    }
}

/// Where an event is in the feed: events are read in the order of their positions.
/// A position is two numbers the store chooses, compared in order: a group of events
/// made durable together (on PostgreSQL the transaction that wrote them; elsewhere
/// always 0) and a sequence within the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FeedPosition {
    group: i64,
    sequence: i64,
}

impl FeedPosition {
    /// Before every event.
    pub const START: Self = Self { group: 0, sequence: 0 };

    pub const fn new(group: i64, sequence: i64) -> Self {
        Self { group, sequence }
    }

    pub const fn group(self) -> i64 {
        self.group
    }

    pub const fn sequence(self) -> i64 {
        self.sequence
    }
}

impl fmt::Display for FeedPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.group, self.sequence)
    }
}

/// An event and its place in the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    pub position: FeedPosition,
    pub event: Event,
}

/// A page of the feed: the events after the position asked for, and where to read on
/// from. Unlike a list, a feed has no last page: `next` is always given, and is the
/// position asked for when no event followed it yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    pub items: Vec<Event>,
    pub next: FeedPosition,
}

/// How long events are kept at least (`--event-retention-days`): 1 day to 10 years,
/// 30 days unless set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRetention(u32);

impl EventRetention {
    pub fn days(days: i64) -> Result<Self, Invalid> {
        match u32::try_from(days) {
            Ok(days @ 1..=3_650) => Ok(Self(days)),
            _ => Err(Invalid::new("the event retention must be between 1 and 3650 days")),
        }
    }

    pub fn as_delta(self) -> chrono::TimeDelta {
        chrono::TimeDelta::days(i64::from(self.0))
    }
}

impl Default for EventRetention {
    fn default() -> Self {
        Self(30)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Price, ProductId, ProductName, Sku, Stock};
    use chrono::TimeZone;

    fn product(stock: i64) -> Product {
        let at = chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        Product {
            id: ProductId::generate(),
            sku: Sku::parse("W").unwrap(),
            name: ProductName::parse("Widget").unwrap(),
            price: Price::from_cents(100).unwrap(),
            stock: Stock::new(stock).unwrap(),
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn an_order_that_takes_the_last_unit_records_out_of_stock_and_one_that_leaves_some_does_not() {
        let at = chrono::Utc::now();
        let emptied = Event::stock_taken(&product(0), at).expect("the last unit went");
        assert_eq!((emptied.kind, emptied.occurred_at), (EventType::ProductOutOfStock, at));
        assert!(Event::stock_taken(&product(1), at).is_none());
    }

    #[test]
    fn event_types_have_stable_wire_names_and_positions_order_by_group_then_sequence() {
        let names: Vec<_> = EventType::ALL.iter().map(|kind| kind.as_str()).collect();
        assert_eq!(
            names,
            [
                "order.placed",
                "order.cancelled",
                "product.created",
                "product.updated",
                "product.restocked",
                "product.out_of_stock"
            ]
        );
        assert_eq!(EventType::parse("product.restocked"), Ok(EventType::ProductRestocked));
        assert!(EventType::parse("order.shipped").is_err());
        assert!(FeedPosition::new(1, 900) < FeedPosition::new(2, 3));
        assert!(FeedPosition::START < FeedPosition::new(0, 1));
    }

    #[test]
    fn retention_is_1_to_3650_days() {
        assert!(EventRetention::days(0).is_err() && EventRetention::days(3_651).is_err());
        assert_eq!(EventRetention::default().as_delta(), chrono::TimeDelta::days(30));
    }
}
