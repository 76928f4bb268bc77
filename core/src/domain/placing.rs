//! Deciding an order from what is known of its customer and its products: rules 1 to 3
//! of placing an order, as a pure function. The store then places the order only if
//! what it was decided on still holds, and otherwise answers with what holds now, to be
//! decided again ([`OrderStore::place`](crate::ports::OrderStore::place)).

use super::ids::{OrderId, ProductId, UserId};
use super::money::Currency;
use super::order::{Order, OrderItems, OrderLine, OrderStatus, Refusal};
use super::pricing;
use super::product::{Price, ProductName, Sku};
use super::time::Timestamp;
use super::user::Tier;

/// A product as an order is decided on it: the terms its lines are priced with, and its
/// stock when that is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductState {
    pub id: ProductId,
    pub sku: Sku,
    pub name: ProductName,
    pub price: Price,
    /// Units in stock, when read in a way that may refuse an order (fresh from the
    /// store); `None` when only the terms are known (a cached copy): the store checks
    /// the stock when it places the order.
    pub stock: Option<i64>,
}

/// What is known of an order's customer and products.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderContext {
    /// The customer's tier; `None` if no user has the customer's id.
    pub tier: Option<Tier>,
    /// Those of the ordered products that exist, in any order.
    pub products: Vec<ProductState>,
}

/// What to do with an order request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Place this order, priced for a customer of this tier.
    Place { order: Order, tier: Tier },
    /// The request cannot be served (rules 1 to 3).
    Refuse(Refusal),
    /// No user has the customer's id.
    UnknownCustomer,
}

/// Who orders what, and the order's id, currency and time: everything but what the
/// store knows.
#[derive(Debug, Clone, Copy)]
pub struct OrderRequest<'a> {
    pub id: OrderId,
    pub customer: UserId,
    pub items: &'a OrderItems,
    pub currency: Currency,
    pub at: Timestamp,
}

/// The decision the rules give for `request` on what `known` says:
/// 1. the first product, in the customer's line order, that does not exist is refused;
/// 2. else the first line, in product-id order, whose known stock is short is refused;
/// 3. else the order is priced with the customer's tier (premium: 10% off, rounded half
///    up), and a total that does not fit in 64-bit cents is refused.
pub fn decide(request: OrderRequest<'_>, known: &OrderContext) -> Decision {
    let Some(tier) = known.tier else { return Decision::UnknownCustomer };
    let product = |id: ProductId| known.products.iter().find(|p| p.id == id);
    if let Some(line) = request.items.lines().iter().find(|line| product(line.product_id).is_none()) {
        return Decision::Refuse(Refusal::ProductNotFound { product_id: line.product_id });
    }
    for line in request.items.in_product_order() {
        let requested = line.quantity.units();
        if let Some(available) = product(line.product_id).and_then(|p| p.stock).filter(|&stock| stock < requested) {
            return Decision::Refuse(Refusal::OutOfStock { product_id: line.product_id, requested, available });
        }
    }
    let mut lines = Vec::with_capacity(request.items.lines().len());
    for line in request.items.lines() {
        let product = product(line.product_id).expect("every product exists, checked above");
        let line_total = match pricing::line_total(product.price.money(), line.quantity) {
            Ok(total) => total,
            Err(overflow) => return Decision::Refuse(overflow.into()),
        };
        lines.push(OrderLine {
            product_id: line.product_id,
            sku: product.sku.clone(),
            name: product.name.clone(),
            quantity: line.quantity,
            unit_price: product.price,
            line_total,
        });
    }
    let totals = match pricing::totals(lines.iter().map(|line| line.line_total), tier) {
        Ok(totals) => totals,
        Err(overflow) => return Decision::Refuse(overflow.into()),
    };
    let order = Order {
        id: request.id,
        user_id: request.customer,
        status: OrderStatus::Placed,
        currency: request.currency,
        lines,
        totals,
        created_at: request.at,
        cancelled_at: None,
    };
    Decision::Place { order, tier }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Money;
    use uuid::Uuid;

    fn id(n: u128) -> ProductId {
        ProductId::from_uuid(Uuid::from_u128(n))
    }

    fn state(n: u128, price_cents: i64, stock: Option<i64>) -> ProductState {
        ProductState {
            id: id(n),
            sku: Sku::parse(&format!("P-{n}")).unwrap(),
            name: ProductName::parse(&format!("Product {n}")).unwrap(),
            price: Price::from_cents(price_cents).unwrap(),
            stock,
        }
    }

    fn request(items: &OrderItems) -> OrderRequest<'_> {
        OrderRequest {
            id: OrderId::from_uuid(Uuid::from_u128(99)),
            customer: UserId::from_uuid(Uuid::from_u128(7)),
            items,
            currency: Currency::default(),
            at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        }
    }

    fn known(tier: Tier, products: Vec<ProductState>) -> OrderContext {
        OrderContext { tier: Some(tier), products }
    }

    #[test]
    fn an_order_is_priced_with_the_known_terms_and_the_customers_tier() {
        let items = OrderItems::parse(&[(id(2), 3), (id(1), 1)]).unwrap();
        let context = known(Tier::Premium, vec![state(1, 1_005, None), state(2, 1_000, Some(3))]);
        let Decision::Place { order, tier } = decide(request(&items), &context) else { panic!("not placed") };
        assert_eq!(tier, Tier::Premium);
        let lines: Vec<_> = order.lines.iter().map(|l| (l.product_id, l.line_total)).collect();
        assert_eq!(lines, [(id(2), Money::from_cents(3_000)), (id(1), Money::from_cents(1_005))]);
        assert_eq!(order.lines[1].sku.as_str(), "P-1");
        assert_eq!(
            (order.totals.subtotal, order.totals.discount, order.totals.total),
            (Money::from_cents(4_005), Money::from_cents(401), Money::from_cents(3_604))
        );
    }

    #[test]
    fn a_missing_product_comes_first_in_the_customers_order_even_when_another_line_is_short() {
        let items = OrderItems::parse(&[(id(1), 5), (id(3), 1), (id(2), 1)]).unwrap();
        let context = known(Tier::Standard, vec![state(1, 100, Some(0))]);
        assert_eq!(decide(request(&items), &context), Decision::Refuse(Refusal::ProductNotFound { product_id: id(3) }));
    }

    #[test]
    fn the_first_short_line_in_product_id_order_is_refused_only_when_its_stock_is_known() {
        let items = OrderItems::parse(&[(id(3), 5), (id(2), 4)]).unwrap();
        let fresh = known(Tier::Standard, vec![state(2, 100, Some(1)), state(3, 100, Some(0))]);
        assert_eq!(
            decide(request(&items), &fresh),
            Decision::Refuse(Refusal::OutOfStock { product_id: id(2), requested: 4, available: 1 })
        );
        let cached = known(Tier::Standard, vec![state(2, 100, None), state(3, 100, None)]);
        assert!(matches!(decide(request(&items), &cached), Decision::Place { .. }));
    }

    #[test]
    fn an_unknown_customer_gets_no_order() {
        let items = OrderItems::parse(&[(id(1), 1)]).unwrap();
        let context = OrderContext { tier: None, products: vec![state(1, 100, Some(5))] };
        assert_eq!(decide(request(&items), &context), Decision::UnknownCustomer);
    }
}
