//! Orders on the wire: what a customer asks for, and the order as placed, with each
//! line's sku, name and unit price as they were at placement.

use super::pages::next_cursor;
use crate::api::answer::rfc3339;
use crate::api::cursors::{CursorKey, Listing};
use chrono::{DateTime, Utc};
use orders_core::domain::{IdempotencyKey, Order, OrderItems, OrderLine, OrderStatus, Page, ProductId, Violations};
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An order to place.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(rename = "OrderRequest")]
pub struct PlaceOrderRequest {
    /// 1 to 100 lines, each product at most once (a repeated product is refused, not merged).
    #[oai(validator(min_items = 1, max_items = 100))]
    pub items: Vec<OrderRequestItem>,
}

/// One line of an order to place.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(rename = "OrderRequestItem")]
pub struct OrderRequestItem {
    pub product_id: Uuid,
    /// 1 to 10,000.
    #[oai(validator(minimum(value = "1"), maximum(value = "10000")))]
    pub quantity: i64,
}

impl PlaceOrderRequest {
    /// The order's lines and the key it is placed under, naming every refused field.
    pub fn try_into_domain(
        self,
        idempotency_key: Option<&str>,
    ) -> Result<(OrderItems, Option<IdempotencyKey>), Violations> {
        let mut violations = Violations::default();
        let key = idempotency_key.and_then(|raw| violations.check("Idempotency-Key", IdempotencyKey::parse(raw)));
        let lines: Vec<(ProductId, i64)> =
            self.items.iter().map(|item| (ProductId::from_uuid(item.product_id), item.quantity)).collect();
        match OrderItems::parse(&lines) {
            Ok(items) if violations.is_empty() => Ok((items, key)),
            Ok(_) => Err(violations),
            Err(refused) => {
                violations.extend_prefixed("", refused);
                Err(violations)
            }
        }
    }
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
#[oai(rename = "OrderStatus", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum OrderStatusDto {
    Placed,
    Cancelled,
}

impl From<OrderStatus> for OrderStatusDto {
    fn from(status: OrderStatus) -> Self {
        match status {
            OrderStatus::Placed => OrderStatusDto::Placed,
            OrderStatus::Cancelled => OrderStatusDto::Cancelled,
        }
    }
}

/// A placed (and possibly since cancelled) order.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(rename = "Order")]
pub struct OrderResponse {
    pub id: Uuid,
    pub user_id: Uuid,
    pub status: OrderStatusDto,
    /// ISO 4217 code of every amount of the order.
    pub currency: String,
    /// In the order they were asked for.
    pub items: Vec<OrderItemResponse>,
    /// Sum of the lines' `line_total_cents`.
    pub subtotal_cents: i64,
    /// 10% of the subtotal for premium users, rounded half up to a cent; else 0.
    pub discount_cents: i64,
    /// `subtotal_cents - discount_cents`.
    pub total_cents: i64,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When it was cancelled; `null` while it is placed.
    #[oai(nullable)]
    #[serde(with = "rfc3339::option")]
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// One line of an order, with the product's sku, name and price as they were when it was placed.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(rename = "OrderItem")]
pub struct OrderItemResponse {
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
    /// `unit_price_cents × quantity`.
    pub line_total_cents: i64,
}

impl From<OrderLine> for OrderItemResponse {
    fn from(line: OrderLine) -> Self {
        Self {
            product_id: line.product_id.as_uuid(),
            sku: line.sku.as_str().to_owned(),
            name: line.name.as_str().to_owned(),
            quantity: line.quantity.units(),
            unit_price_cents: line.unit_price.cents(),
            line_total_cents: line.line_total.cents(),
        }
    }
}

impl From<Order> for OrderResponse {
    fn from(order: Order) -> Self {
        Self {
            id: order.id.as_uuid(),
            user_id: order.user_id.as_uuid(),
            status: order.status.into(),
            currency: order.currency.as_str().to_owned(),
            items: order.lines.into_iter().map(Into::into).collect(),
            subtotal_cents: order.totals.subtotal.cents(),
            discount_cents: order.totals.discount.cents(),
            total_cents: order.totals.total.cents(),
            created_at: order.created_at,
            cancelled_at: order.cancelled_at,
        }
    }
}

/// A page of orders, newest first.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(rename = "OrderPage")]
pub struct OrderPage {
    pub items: Vec<OrderResponse>,
    /// Pass as `?cursor=` to read the next page; `null` on the last page.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

impl OrderPage {
    pub fn new(page: Page<Order>, key: &CursorKey, listing: Listing) -> Self {
        let next_cursor = next_cursor(page.next_cursor, key, listing);
        Self { items: page.items.into_iter().map(Into::into).collect(), next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::answer::same_json;

    fn order(status: OrderStatusDto, created_at: &str, cancelled_at: Option<&str>) -> OrderResponse {
        let time = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().to_utc();
        let line = |sku: &str, name: &str| OrderItemResponse {
            product_id: Uuid::now_v7(),
            sku: sku.to_owned(),
            name: name.to_owned(),
            quantity: 3,
            unit_price_cents: 1999,
            line_total_cents: 5997,
        };
        OrderResponse {
            id: Uuid::now_v7(),
            user_id: Uuid::now_v7(),
            status,
            currency: "EUR".to_owned(),
            items: vec![line("SKU-1", "Tea \"green\" \\ 茶"), line("SKU-2", "tab\tnewline\n")],
            subtotal_cents: 11994,
            discount_cents: 1199,
            total_cents: 10795,
            created_at: time(created_at),
            cancelled_at: cancelled_at.map(time),
        }
    }

    #[test]
    fn orders_and_their_pages_are_written_as_their_schema_says() {
        let placed = order(OrderStatusDto::Placed, "2026-12-08T01:02:03Z", None);
        let cancelled =
            order(OrderStatusDto::Cancelled, "2026-12-08T01:02:03.123456789Z", Some("2026-12-09T00:00:00.5+00:00"));
        same_json(&placed);
        same_json(&cancelled);
        same_json(&OrderPage { items: vec![placed, cancelled.clone()], next_cursor: Some("abc".to_owned()) });
        same_json(&OrderPage { items: vec![cancelled], next_cursor: None });
    }
}
