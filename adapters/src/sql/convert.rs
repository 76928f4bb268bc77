//! Rows to domain values and back. A stored value the domain refuses is reported as a
//! backend failure naming the table and column: the database holds what it must not.

use super::entities::{idempotency_key, order, order_line, product, user};
use orders_core::domain::PriceOverflow;
use orders_core::domain::{
    Currency, Email, FullName, IdempotencyRecord, Invalid, Money, Order, OrderId, OrderLine, OrderStatus, PasswordHash,
    Price, Product, ProductId, ProductName, ProductState, Quantity, RecordedOutcome, Refusal, RequestFingerprint, Role,
    Sku, Stock, Tier, Timestamp, Totals, User, UserId,
};
use orders_core::ports::{BackendError, KeyClaim};
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

pub(crate) fn stored<T>(value: Result<T, Invalid>, column: &str) -> Result<T, BackendError> {
    value.map_err(|invalid| BackendError::failed(format!("stored {column} is invalid: {invalid}")))
}

pub(crate) fn millis(at: Timestamp) -> i64 {
    at.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> Result<Timestamp, BackendError> {
    Timestamp::from_timestamp_millis(ms)
        .ok_or_else(|| BackendError::failed(format!("stored time {ms} is out of range")))
}

pub(crate) fn user(row: user::Model) -> Result<User, BackendError> {
    Ok(User {
        id: UserId::from_uuid(row.id),
        email: stored(Email::parse(&row.email), "users.email")?,
        password_hash: PasswordHash::new(row.password_hash),
        full_name: row.full_name.as_deref().map(FullName::stored),
        tier: tier(&row.tier)?,
        role: stored(Role::parse(&row.role), "users.role")?,
        created_at: row.created_at,
    })
}

pub(crate) fn user_row(user: &User) -> user::ActiveModel {
    user::ActiveModel {
        id: Set(user.id.as_uuid()),
        email: Set(user.email.as_str().to_owned()),
        password_hash: Set(user.password_hash.as_str().to_owned()),
        full_name: Set(user.full_name.as_ref().map(|n| n.as_str().to_owned())),
        tier: Set(user.tier.as_str().to_owned()),
        role: Set(user.role.as_str().to_owned()),
        created_at: Set(user.created_at),
    }
}

pub(crate) fn product(row: product::Model) -> Result<Product, BackendError> {
    Ok(Product {
        id: ProductId::from_uuid(row.id),
        sku: stored(Sku::parse(&row.sku), "products.sku")?,
        name: ProductName::stored(&row.name),
        price: stored(Price::from_cents(row.price_cents), "products.price_cents")?,
        stock: stored(Stock::held(row.stock), "products.stock")?,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(crate) fn product_row(product: &Product) -> product::ActiveModel {
    product::ActiveModel {
        id: Set(product.id.as_uuid()),
        sku: Set(product.sku.as_str().to_owned()),
        name: Set(product.name.as_str().to_owned()),
        price_cents: Set(product.price.cents()),
        stock: Set(product.stock.units()),
        created_at: Set(product.created_at),
        updated_at: Set(product.updated_at),
    }
}

/// An order from its row and its lines' rows (in line order).
pub(crate) fn order(row: order::Model, lines: Vec<order_line::Model>) -> Result<Order, BackendError> {
    let lines = lines
        .into_iter()
        .map(|line| {
            Ok(OrderLine {
                product_id: ProductId::from_uuid(line.product_id),
                sku: stored(Sku::parse(&line.sku), "order_lines.sku")?,
                name: ProductName::stored(&line.name),
                quantity: stored(Quantity::new(line.quantity), "order_lines.quantity")?,
                unit_price: stored(Price::from_cents(line.unit_price_cents), "order_lines.unit_price_cents")?,
                line_total: Money::from_cents(line.line_total_cents),
            })
        })
        .collect::<Result<Vec<_>, BackendError>>()?;
    Ok(Order {
        id: OrderId::from_uuid(row.id),
        user_id: UserId::from_uuid(row.user_id),
        status: stored(OrderStatus::parse(&row.status), "orders.status")?,
        currency: stored(Currency::parse(&row.currency), "orders.currency")?,
        lines,
        totals: Totals {
            subtotal: Money::from_cents(row.subtotal_cents),
            discount: Money::from_cents(row.discount_cents),
            total: Money::from_cents(row.total_cents),
        },
        created_at: row.created_at,
        cancelled_at: row.cancelled_at,
    })
}

const PLACED: &str = "placed";
const PRODUCT_NOT_FOUND: &str = "product_not_found";
const OUT_OF_STOCK: &str = "out_of_stock";
const PRICE_OVERFLOW: &str = "price_overflow";

/// The row remembering `outcome` for `claim`'s key.
pub(crate) fn idempotency_row(claim: &KeyClaim, outcome: &RecordedOutcome) -> idempotency_key::Model {
    let (kind, order_id, product_id, requested, available) = match *outcome {
        RecordedOutcome::Placed(order) => (PLACED, Some(order.as_uuid()), None, None, None),
        RecordedOutcome::Refused(Refusal::ProductNotFound { product_id }) => {
            (PRODUCT_NOT_FOUND, None, Some(product_id.as_uuid()), None, None)
        }
        RecordedOutcome::Refused(Refusal::OutOfStock { product_id, requested, available }) => {
            (OUT_OF_STOCK, None, Some(product_id.as_uuid()), Some(requested), Some(available))
        }
        RecordedOutcome::Refused(Refusal::PriceOverflow(_)) => (PRICE_OVERFLOW, None, None, None, None),
    };
    idempotency_key::Model {
        user_id: claim.user.as_uuid(),
        key: claim.key.as_str().to_owned(),
        fingerprint: claim.fingerprint.as_str().to_owned(),
        outcome: kind.to_owned(),
        order_id,
        product_id,
        requested,
        available,
        created_at_ms: millis(claim.at),
    }
}

pub(crate) fn idempotency_record(row: idempotency_key::Model) -> Result<IdempotencyRecord, BackendError> {
    let outcome = StoredOutcome {
        outcome: &row.outcome,
        order_id: row.order_id,
        product_id: row.product_id,
        requested: row.requested,
        available: row.available,
    };
    Ok(IdempotencyRecord { fingerprint: RequestFingerprint::from_stored(row.fingerprint), outcome: outcome.read()? })
}

/// How a key's first request ended, as its columns store it.
pub(crate) struct StoredOutcome<'a> {
    pub outcome: &'a str,
    pub order_id: Option<Uuid>,
    pub product_id: Option<Uuid>,
    pub requested: Option<i64>,
    pub available: Option<i64>,
}

impl StoredOutcome<'_> {
    pub(crate) fn read(&self) -> Result<RecordedOutcome, BackendError> {
        let missing =
            |column: &str| BackendError::failed(format!("idempotency_keys.{column} is missing for {}", self.outcome));
        let product = || self.product_id.map(ProductId::from_uuid).ok_or_else(|| missing("product_id"));
        Ok(match self.outcome {
            PLACED => RecordedOutcome::Placed(OrderId::from_uuid(self.order_id.ok_or_else(|| missing("order_id"))?)),
            PRODUCT_NOT_FOUND => RecordedOutcome::Refused(Refusal::ProductNotFound { product_id: product()? }),
            OUT_OF_STOCK => RecordedOutcome::Refused(Refusal::OutOfStock {
                product_id: product()?,
                requested: self.requested.ok_or_else(|| missing("requested"))?,
                available: self.available.ok_or_else(|| missing("available"))?,
            }),
            PRICE_OVERFLOW => RecordedOutcome::Refused(Refusal::PriceOverflow(PriceOverflow)),
            other => return Err(BackendError::failed(format!("stored idempotency outcome {other:?} is unknown"))),
        })
    }
}

/// A product's state as an order sees it, from its stored columns.
pub(crate) fn product_state(
    id: Uuid,
    sku: &str,
    name: &str,
    price_cents: i64,
    stock: Option<i64>,
) -> Result<ProductState, BackendError> {
    Ok(ProductState {
        id: ProductId::from_uuid(id),
        sku: stored(Sku::parse(sku), "products.sku")?,
        name: ProductName::stored(name),
        price: stored(Price::from_cents(price_cents), "products.price_cents")?,
        stock,
    })
}

/// A stored tier.
pub(crate) fn tier(stored_tier: &str) -> Result<Tier, BackendError> {
    stored(Tier::parse(stored_tier), "users.tier")
}
