//! Orders: what a user asked for ([`OrderItems`]) and what was placed ([`Order`]), with
//! each line's sku, name and unit price frozen at placement.

use super::ids::{OrderId, ProductId, UserId};
use super::money::{Currency, Money};
use super::pricing::{PriceOverflow, Totals};
use super::product::{Price, ProductName, Sku};
use super::quantity::Quantity;
use super::time::Timestamp;
use super::user::wire_names;
use super::validation::{Invalid, Violations};
use std::collections::HashSet;
use std::fmt;

/// One line of an order request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrderRequestLine {
    pub product_id: ProductId,
    pub quantity: Quantity,
}

/// The lines of an order request: 1 to 100 of them, each product at most once, in the
/// order the customer gave them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItems(Vec<OrderRequestLine>);

impl OrderItems {
    pub const MAX_LINES: usize = 100;

    /// Validates raw `(product_id, quantity)` pairs, naming each refused field
    /// (`items[2].quantity`). A repeated product is refused, not merged.
    pub fn parse(raw: &[(ProductId, i64)]) -> Result<Self, Violations> {
        let mut violations = Violations::default();
        if raw.is_empty() || raw.len() > Self::MAX_LINES {
            violations.push("items", Invalid::new(format!("an order has 1 to {} lines", Self::MAX_LINES)));
        }
        let mut seen = HashSet::with_capacity(raw.len());
        let mut lines = Vec::with_capacity(raw.len());
        for (index, &(product_id, quantity)) in raw.iter().enumerate() {
            if !seen.insert(product_id) {
                violations.push(
                    format!("items[{index}].product_id"),
                    Invalid::new(format!("product {product_id} appears more than once; order it on one line")),
                );
            }
            if let Some(quantity) = violations.check(format!("items[{index}].quantity"), Quantity::new(quantity)) {
                lines.push(OrderRequestLine { product_id, quantity });
            }
        }
        violations.into_result(|| Self(lines))
    }

    /// The lines in the order the customer gave them.
    pub fn lines(&self) -> &[OrderRequestLine] {
        &self.0
    }

    /// The lines sorted by product id: the order in which rule 2 looks for a short line
    /// (stores lock products in this order too, so that concurrent orders cannot
    /// deadlock).
    pub fn in_product_order(&self) -> Vec<OrderRequestLine> {
        let mut lines = self.0.clone();
        lines.sort_by_key(|line| line.product_id);
        lines
    }
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Placed,
    Cancelled,
}

wire_names!(OrderStatus { Placed => "placed", Cancelled => "cancelled" });

/// One line of a placed order, with the product's details as they were at placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub product_id: ProductId,
    pub sku: Sku,
    pub name: ProductName,
    pub quantity: Quantity,
    pub unit_price: Price,
    pub line_total: Money,
}

/// A placed (and possibly since cancelled) order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: OrderId,
    pub user_id: UserId,
    pub status: OrderStatus,
    pub currency: Currency,
    /// In the order the customer gave them.
    pub lines: Vec<OrderLine>,
    pub totals: Totals,
    pub created_at: Timestamp,
    pub cancelled_at: Option<Timestamp>,
}

impl Order {
    /// The order exactly as it was when placed, whatever happened to it since: what a
    /// replayed placement answers. Lines and totals never change, only the status.
    pub fn as_placed(&self) -> Order {
        Order { status: OrderStatus::Placed, cancelled_at: None, ..self.clone() }
    }
}

/// Why an order could not be placed, for reasons that are the request's and not the
/// store's: what a retry under the same idempotency key answers again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Rule 1: the first product of the request (in the customer's order) that does not exist.
    #[error("product {product_id} does not exist")]
    ProductNotFound { product_id: ProductId },
    /// Rule 2: a line asks for more than is in stock.
    #[error("product {product_id} has {available} in stock, {requested} were asked for")]
    OutOfStock { product_id: ProductId, requested: i64, available: i64 },
    /// Rule 3: the total does not fit in 64-bit cents.
    #[error("{0}")]
    PriceOverflow(#[from] PriceOverflow),
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn id(n: u128) -> ProductId {
        ProductId::from_uuid(Uuid::from_u128(n))
    }

    #[test]
    fn a_valid_request_keeps_the_customers_line_order() {
        let items = OrderItems::parse(&[(id(2), 1), (id(1), 10_000)]).unwrap();
        let ids: Vec<_> = items.lines().iter().map(|l| l.product_id).collect();
        assert_eq!(ids, [id(2), id(1)]);
        let sorted: Vec<_> = items.in_product_order().iter().map(|l| l.product_id).collect();
        assert_eq!(sorted, [id(1), id(2)]);
    }

    #[test]
    fn every_refused_field_is_named() {
        let violations = OrderItems::parse(&[(id(1), 0), (id(2), 3), (id(1), 10_001)]).unwrap_err();
        let fields: Vec<_> = violations.fields().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["items[0].quantity", "items[2].product_id", "items[2].quantity"]);
    }

    #[test]
    fn an_order_has_1_to_100_lines() {
        assert_eq!(OrderItems::parse(&[]).unwrap_err().fields()[0].field, "items");
        let hundred: Vec<_> = (0..100).map(|n| (id(n), 1)).collect();
        assert!(OrderItems::parse(&hundred).is_ok());
        let too_many: Vec<_> = (0..101).map(|n| (id(n), 1)).collect();
        assert_eq!(OrderItems::parse(&too_many).unwrap_err().fields()[0].field, "items");
    }
}
