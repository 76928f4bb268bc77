//! The unit of work on SQLite, run on the writer's connection inside a savepoint of
//! the writer's batch (see [`super::sqlite_writer`]), in as few trips to the
//! connection's thread as the port allows: the opening statements travel with the
//! first statement, and the order's rows travel with the release of the savepoint.
//! Stock still moves only through conditional `UPDATE`s.

use super::convert;
use super::entities::idempotency_key;
use super::errors::sqlx_error;
use super::sqlite_writer::{Step, Turn};
use orders_core::domain::{
    Order, OrderId, OrderRequestLine, Price, ProductId, ProductName, Quantity, RecordedOutcome, Sku, Timestamp,
};
use orders_core::ports::{BackendError, Claim, KeyClaim, OrderTx, StockTake, TakenProduct};
use sea_orm::sqlx::query::Query;
use sea_orm::sqlx::sqlite::SqliteArguments;
use sea_orm::sqlx::{self, AssertSqlSafe, Row, Sqlite};
use std::collections::HashMap;
use uuid::Uuid;

/// After a `wanted(id, quantity)` table of the lines.
const TAKE_STOCK: &str = "UPDATE products SET stock = stock - wanted.quantity FROM wanted \
                          WHERE products.id = wanted.id AND products.stock >= wanted.quantity \
                          RETURNING id, sku, name, price_cents";
// What changed is read from RETURNING rows: in a batch of statements, sqlx's
// rows-affected count also counts what the opening statements report.
const RETURN_STOCK: &str = "UPDATE products SET stock = stock + ?1 WHERE id = ?2 RETURNING 1";
const MARK_CANCELLED: &str =
    "UPDATE orders SET status = 'cancelled', cancelled_at = ?1 WHERE id = ?2 AND status = 'placed' RETURNING 1";
const CLAIM_KEY: &str = "INSERT INTO idempotency_keys (user_id, key, fingerprint, outcome, order_id, product_id, \
                         requested, available, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                         ON CONFLICT (user_id, key) DO NOTHING RETURNING 1";
const STOCK_OF: &str = "SELECT stock FROM products WHERE id = ?1";
const KEY_RECORD: &str = "SELECT user_id, key, fingerprint, outcome, order_id, product_id, requested, available, \
                          created_at_ms FROM idempotency_keys WHERE user_id = ?1 AND key = ?2";

pub(super) struct SqliteTx {
    turn: Turn,
    /// The order [`OrderTx::insert_order`] stored, written when the unit commits.
    pending: Option<Order>,
}

impl SqliteTx {
    pub(super) fn new(turn: Turn) -> Self {
        Self { turn, pending: None }
    }
}

/// A statement of the unit with `opening` before it and `closing` after it.
fn statement(opening: &str, sql: &str, closing: &str) -> Query<'static, Sqlite, SqliteArguments> {
    sqlx::query(AssertSqlSafe(format!("{opening}{sql}{closing}")))
}

fn stored<T>(value: Result<T, orders_core::domain::Invalid>, column: &str) -> Result<T, BackendError> {
    value.map_err(|invalid| BackendError::failed(format!("stored {column} is invalid: {invalid}")))
}

#[async_trait::async_trait]
impl OrderTx for SqliteTx {
    async fn claim_key(&mut self, claim: &KeyClaim) -> Result<Claim, BackendError> {
        let row = convert::idempotency_row(
            claim.user,
            claim.key.as_str(),
            &claim.fingerprint,
            &RecordedOutcome::Placed(claim.order_id),
            claim.at,
        );
        let inserted = self
            .turn
            .fetch_all(Step::Write, |opening, closing| {
                statement(opening, CLAIM_KEY, closing)
                    .bind(row.user_id.unwrap())
                    .bind(row.key.unwrap())
                    .bind(row.fingerprint.unwrap())
                    .bind(row.outcome.unwrap())
                    .bind(row.order_id.unwrap())
                    .bind(row.product_id.unwrap())
                    .bind(row.requested.unwrap())
                    .bind(row.available.unwrap())
                    .bind(row.created_at_ms.unwrap())
            })
            .await?;
        if !inserted.is_empty() {
            return Ok(Claim::Claimed);
        }
        // The key may have been claimed by a unit of the open batch: committing those
        // first lets the caller read the order the key names.
        self.turn.commit_earlier_units().await?;
        let existing = sqlx::query(KEY_RECORD)
            .bind(claim.user.as_uuid())
            .bind(claim.key.as_str())
            .fetch_optional(self.turn.conn())
            .await
            .map_err(sqlx_error)?
            .ok_or_else(|| BackendError::failed("an idempotency key conflicted but cannot be read"))?;
        let model = idempotency_key::Model {
            user_id: existing.try_get(0).map_err(sqlx_error)?,
            key: existing.try_get(1).map_err(sqlx_error)?,
            fingerprint: existing.try_get(2).map_err(sqlx_error)?,
            outcome: existing.try_get(3).map_err(sqlx_error)?,
            order_id: existing.try_get(4).map_err(sqlx_error)?,
            product_id: existing.try_get(5).map_err(sqlx_error)?,
            requested: existing.try_get(6).map_err(sqlx_error)?,
            available: existing.try_get(7).map_err(sqlx_error)?,
            created_at_ms: existing.try_get(8).map_err(sqlx_error)?,
        };
        Ok(Claim::Existing(convert::idempotency_record(model)?))
    }

    /// One statement for all lines: SQLite has no row locks, and the unit holds the
    /// write lock.
    async fn take_stock(&mut self, lines: &[OrderRequestLine]) -> Result<StockTake, BackendError> {
        let values = vec!["(?, ?)"; lines.len()].join(", ");
        let sql = format!("WITH wanted(id, quantity) AS (VALUES {values}) {TAKE_STOCK}");
        let rows = self
            .turn
            .fetch_all(Step::Write, |opening, closing| {
                lines.iter().fold(statement(opening, &sql, closing), |query, line| {
                    query.bind(line.product_id.as_uuid()).bind(line.quantity.units())
                })
            })
            .await?;
        let mut taken = HashMap::with_capacity(rows.len());
        for row in rows {
            let id: Uuid = row.try_get(0).map_err(sqlx_error)?;
            let (sku, name, price): (String, String, i64) = (
                row.try_get(1).map_err(sqlx_error)?,
                row.try_get(2).map_err(sqlx_error)?,
                row.try_get(3).map_err(sqlx_error)?,
            );
            let product = TakenProduct {
                sku: stored(Sku::parse(&sku), "products.sku")?,
                name: stored(ProductName::parse(&name), "products.name")?,
                price: stored(Price::from_cents(price), "products.price_cents")?,
            };
            taken.insert(ProductId::from_uuid(id), product);
        }
        if let Some(unserved) = lines.iter().find(|l| !taken.contains_key(&l.product_id)) {
            let id = unserved.product_id;
            let available: Option<i64> = sqlx::query_scalar(STOCK_OF)
                .bind(id.as_uuid())
                .fetch_optional(self.turn.conn())
                .await
                .map_err(sqlx_error)?;
            return Ok(
                available.map_or(StockTake::Missing(id), |available| StockTake::Short { product_id: id, available })
            );
        }
        Ok(StockTake::Taken(lines.iter().map(|l| taken.remove(&l.product_id).expect("checked above")).collect()))
    }

    async fn insert_order(&mut self, order: &Order) -> Result<(), BackendError> {
        self.pending = Some(order.clone());
        Ok(())
    }

    async fn mark_cancelled(&mut self, order: OrderId, at: Timestamp) -> Result<bool, BackendError> {
        let marked = self
            .turn
            .fetch_all(Step::Write, |opening, closing| {
                statement(opening, MARK_CANCELLED, closing).bind(at).bind(order.as_uuid())
            })
            .await?;
        Ok(marked.len() == 1)
    }

    async fn return_stock(&mut self, product: ProductId, quantity: Quantity) -> Result<(), BackendError> {
        let returned = self
            .turn
            .fetch_all(Step::Write, |opening, closing| {
                statement(opening, RETURN_STOCK, closing).bind(quantity.units()).bind(product.as_uuid())
            })
            .await?;
        if returned.len() != 1 {
            return Err(BackendError::failed(format!("product {product} of a placed order has vanished")));
        }
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<(), BackendError> {
        if let Some(order) = self.pending.take() {
            self.turn.fetch_all(Step::Release, |opening, closing| insert_order(opening, &order, closing)).await?;
        } else if self.turn.started() {
            self.turn.fetch_all(Step::Release, |_, _| sqlx::query("RELEASE unit")).await?;
        }
        let SqliteTx { turn, .. } = *self;
        turn.released().await
    }
}

/// The `INSERT`s of `order` and its lines, between `opening` and `closing`.
fn insert_order(opening: &str, order: &Order, closing: &str) -> Query<'static, Sqlite, SqliteArguments> {
    let mut query = statement(opening, &insert_sql(order.lines.len()), closing)
        .bind(order.id.as_uuid())
        .bind(order.user_id.as_uuid())
        .bind(order.status.as_str())
        .bind(order.currency.as_str())
        .bind(order.totals.subtotal.cents())
        .bind(order.totals.discount.cents())
        .bind(order.totals.total.cents())
        .bind(order.created_at)
        .bind(order.cancelled_at);
    for (line, line_no) in order.lines.iter().zip(0_i32..) {
        query = query
            .bind(order.id.as_uuid())
            .bind(line_no)
            .bind(line.product_id.as_uuid())
            .bind(line.sku.as_str().to_owned())
            .bind(line.name.as_str().to_owned())
            .bind(line.quantity.units())
            .bind(line.unit_price.cents())
            .bind(line.line_total.cents());
    }
    query
}

/// `INSERT` of an order and its `lines` lines, as one batch of statements.
fn insert_sql(lines: usize) -> String {
    let mut sql = String::with_capacity(400 + lines * 40);
    sql.push_str(
        "INSERT INTO orders (id, user_id, status, currency, subtotal_cents, discount_cents, total_cents, created_at, \
         cancelled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?); INSERT INTO order_lines (order_id, line_no, product_id, \
         sku, name, quantity, unit_price_cents, line_total_cents) VALUES ",
    );
    for i in 0..lines {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str("(?, ?, ?, ?, ?, ?, ?, ?)");
    }
    sql
}
