//! Rows to domain values and back. A stored value the domain refuses is reported as a
//! backend failure naming the table and column: the database holds what it must not.

use super::entities::{idempotency_key, order, order_line, product, user};
use super::errors::{db_error, sqlx_error};
use orders_core::domain::PriceOverflow;
use orders_core::domain::{
    Currency, Email, FullName, IdempotencyRecord, Invalid, Money, Order, OrderId, OrderLine, OrderStatus, PasswordHash,
    Price, Product, ProductId, ProductName, Quantity, RecordedOutcome, Refusal, RequestFingerprint, Role, Sku, Stock,
    Tier, Timestamp, Totals, User, UserId,
};
use orders_core::ports::{BackendError, KeyClaim, TakenProduct};
use sea_orm::ActiveValue::Set;
use sea_orm::sqlx::query::Query;
use sea_orm::sqlx::{ColumnIndex, Database, Decode, Encode, Row, Type};
use sea_orm::{FromQueryResult, QueryResult};
use std::collections::HashMap;
use uuid::Uuid;

fn stored<T>(value: Result<T, Invalid>, column: &str) -> Result<T, BackendError> {
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
        full_name: row.full_name.as_deref().map(|name| stored(FullName::parse(name), "users.full_name")).transpose()?,
        tier: stored(Tier::parse(&row.tier), "users.tier")?,
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
        name: stored(ProductName::parse(&row.name), "products.name")?,
        price: stored(Price::from_cents(row.price_cents), "products.price_cents")?,
        stock: stored(Stock::new(row.stock), "products.stock")?,
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
                name: stored(ProductName::parse(&line.name), "order_lines.name")?,
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

/// The row remembering `outcome` for `user`'s `key` with `fingerprint`, made at `at`.
pub(crate) fn idempotency_row(
    user: UserId,
    key: &str,
    fingerprint: &RequestFingerprint,
    outcome: &RecordedOutcome,
    at: Timestamp,
) -> idempotency_key::ActiveModel {
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
    idempotency_key::ActiveModel {
        user_id: Set(user.as_uuid()),
        key: Set(key.to_owned()),
        fingerprint: Set(fingerprint.as_str().to_owned()),
        outcome: Set(kind.to_owned()),
        order_id: Set(order_id),
        product_id: Set(product_id),
        requested: Set(requested),
        available: Set(available),
        created_at_ms: Set(millis(at)),
    }
}

pub(crate) fn idempotency_record(row: idempotency_key::Model) -> Result<IdempotencyRecord, BackendError> {
    let missing =
        |column: &str| BackendError::failed(format!("idempotency_keys.{column} is missing for {}", row.outcome));
    let outcome = match row.outcome.as_str() {
        PLACED => RecordedOutcome::Placed(OrderId::from_uuid(row.order_id.ok_or_else(|| missing("order_id"))?)),
        PRODUCT_NOT_FOUND => RecordedOutcome::Refused(Refusal::ProductNotFound {
            product_id: ProductId::from_uuid(row.product_id.ok_or_else(|| missing("product_id"))?),
        }),
        OUT_OF_STOCK => RecordedOutcome::Refused(Refusal::OutOfStock {
            product_id: ProductId::from_uuid(row.product_id.ok_or_else(|| missing("product_id"))?),
            requested: row.requested.ok_or_else(|| missing("requested"))?,
            available: row.available.ok_or_else(|| missing("available"))?,
        }),
        PRICE_OVERFLOW => RecordedOutcome::Refused(Refusal::PriceOverflow(PriceOverflow)),
        other => return Err(BackendError::failed(format!("stored idempotency outcome {other:?} is unknown"))),
    };
    Ok(IdempotencyRecord { fingerprint: RequestFingerprint::from_stored(row.fingerprint), outcome })
}

/// A product whose stock a unit took, from a row of `id, sku, name, price_cents`.
pub(crate) fn taken_product<R>(row: &R) -> Result<(ProductId, TakenProduct), BackendError>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> Uuid: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let id: Uuid = row.try_get(0).map_err(sqlx_error)?;
    let sku: String = row.try_get(1).map_err(sqlx_error)?;
    let name: String = row.try_get(2).map_err(sqlx_error)?;
    let price: i64 = row.try_get(3).map_err(sqlx_error)?;
    let product = TakenProduct {
        sku: stored(Sku::parse(&sku), "products.sku")?,
        name: stored(ProductName::parse(&name), "products.name")?,
        price: stored(Price::from_cents(price), "products.price_cents")?,
    };
    Ok((ProductId::from_uuid(id), product))
}

/// The columns of a customer's row as [`stock_take_rows`] reads it. Named rather than
/// `*`: a statement prepared for the life of a connection must keep its result's shape
/// when a migration adds a column.
pub(crate) const CUSTOMER_COLUMNS: &str = "id, email, password_hash, full_name, tier, role, created_at";

/// A unit's rows from reading its customer ([`CUSTOMER_COLUMNS`], the one row with an
/// `email` column) and taking stock (a row per product taken, as [`taken_product`]
/// reads it): the customer if found, and the products taken.
pub(crate) fn stock_take_rows<R>(rows: Vec<R>) -> Result<(Option<User>, HashMap<ProductId, TakenProduct>), BackendError>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'c> &'c str: ColumnIndex<R>,
    QueryResult: From<R>,
    for<'r> Uuid: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let mut customer = None;
    let mut taken = HashMap::with_capacity(rows.len());
    for row in rows {
        if row.try_column("email").is_ok() {
            let model = user::Model::from_query_result(&QueryResult::from(row), "").map_err(db_error)?;
            customer = Some(self::user(model)?);
        } else {
            let (id, product) = taken_product(&row)?;
            taken.insert(id, product);
        }
    }
    Ok((customer, taken))
}

/// Inserts the key a unit claims unless it is taken; a row comes back only if claimed.
/// Bound with [`bind_claim`]; `$n` parameters, which SQLite reads too.
pub(crate) const CLAIM_KEY: &str = "INSERT INTO idempotency_keys (user_id, key, fingerprint, outcome, order_id, \
                                    product_id, requested, available, created_at_ms) \
                                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                                    ON CONFLICT (user_id, key) DO NOTHING RETURNING 1";

/// [`CLAIM_KEY`]'s arguments for `claim`: its key, recorded as placing its order.
pub(crate) fn bind_claim<'q, DB>(query: Query<'q, DB, DB::Arguments>, claim: &KeyClaim) -> Query<'q, DB, DB::Arguments>
where
    DB: Database,
    for<'e> Uuid: Encode<'e, DB> + Type<DB>,
    for<'e> Option<Uuid>: Encode<'e, DB> + Type<DB>,
    for<'e> String: Encode<'e, DB> + Type<DB>,
    for<'e> Option<i64>: Encode<'e, DB> + Type<DB>,
    for<'e> i64: Encode<'e, DB> + Type<DB>,
{
    let row = idempotency_row(
        claim.user,
        claim.key.as_str(),
        &claim.fingerprint,
        &RecordedOutcome::Placed(claim.order_id),
        claim.at,
    );
    query
        .bind(row.user_id.unwrap())
        .bind(row.key.unwrap())
        .bind(row.fingerprint.unwrap())
        .bind(row.outcome.unwrap())
        .bind(row.order_id.unwrap())
        .bind(row.product_id.unwrap())
        .bind(row.requested.unwrap())
        .bind(row.available.unwrap())
        .bind(row.created_at_ms.unwrap())
}
