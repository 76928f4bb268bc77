//! The unit of work on SQLite, run on the writer's connection inside a savepoint of
//! the writer's batch (see [`super::sqlite_writer`]), in as few trips to the
//! connection's thread as the port allows: the opening statements travel with the
//! first statement, and the order's rows travel with the release of the savepoint.
//! Stock still moves only through conditional `UPDATE`s.

use super::convert::{self, CUSTOMER_COLUMNS};
use super::errors::sqlx_error;
use super::orders::recorded_claim;
use super::sqlite_writer::{Step, Turn};
use orders_core::domain::{Order, OrderId, OrderRequestLine, ProductId, Quantity, Timestamp, UserId};
use orders_core::ports::{BackendError, Claim, KeyClaim, OrderTx, StockTake};
use sea_orm::DatabaseConnection;
use sea_orm::sqlx::query::Query;
use sea_orm::sqlx::sqlite::SqliteArguments;
use sea_orm::sqlx::{self, AssertSqlSafe, Sqlite};

/// After a `wanted(id, quantity)` table of the lines.
const TAKE_STOCK: &str = "UPDATE products SET stock = stock - wanted.quantity FROM wanted \
                          WHERE products.id = wanted.id AND products.stock >= wanted.quantity \
                          RETURNING id, sku, name, price_cents";
// What changed is read from RETURNING rows: in a batch of statements, sqlx's
// rows-affected count also counts what the opening statements report.
const RETURN_STOCK: &str = "UPDATE products SET stock = stock + ?1 WHERE id = ?2 RETURNING 1";
const MARK_CANCELLED: &str =
    "UPDATE orders SET status = 'cancelled', cancelled_at = ?1 WHERE id = ?2 AND status = 'placed' RETURNING 1";
const STOCK_OF: &str = "SELECT stock FROM products WHERE id = ?1";
pub(super) struct SqliteTx {
    turn: Turn,
    /// The store's pool, to read what a taken idempotency key recorded.
    db: DatabaseConnection,
    /// The order [`OrderTx::insert_order`] stored, written when the unit commits.
    pending: Option<Order>,
}

impl SqliteTx {
    pub(super) fn new(turn: Turn, db: DatabaseConnection) -> Self {
        Self { turn, db, pending: None }
    }
}

/// A statement of the unit with `opening` before it and `closing` after it.
fn statement(opening: &str, sql: &str, closing: &str) -> Query<'static, Sqlite, SqliteArguments> {
    sqlx::query(AssertSqlSafe(format!("{opening}{sql}{closing}")))
}

#[async_trait::async_trait]
impl OrderTx for SqliteTx {
    async fn claim_key(&mut self, claim: &KeyClaim) -> Result<Claim, BackendError> {
        let inserted = self
            .turn
            .fetch_all(Step::Write, |opening, closing| {
                convert::bind_claim(statement(opening, convert::CLAIM_KEY, closing), claim)
            })
            .await?;
        if !inserted.is_empty() {
            return Ok(Claim::Claimed);
        }
        // The key may have been claimed by a unit of the open batch: committing those
        // first lets the pool read the key, and the caller the order it names.
        self.turn.commit_earlier_units().await?;
        recorded_claim(&self.db, claim).await
    }

    /// One trip to the writer's connection: the customer's row, then one statement for
    /// all lines (SQLite has no row locks, and the unit holds the write lock).
    async fn take_stock(&mut self, customer: UserId, lines: &[OrderRequestLine]) -> Result<StockTake, BackendError> {
        let values = vec!["(?, ?)"; lines.len()].join(", ");
        let sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM users WHERE id = ?; WITH wanted(id, quantity) AS (VALUES {values}) {TAKE_STOCK}"
        );
        let rows = self
            .turn
            .fetch_all(Step::Write, |opening, closing| {
                let query = statement(opening, &sql, closing).bind(customer.as_uuid());
                lines
                    .iter()
                    .fold(query, |query, line| query.bind(line.product_id.as_uuid()).bind(line.quantity.units()))
            })
            .await?;
        let (customer, mut taken) = convert::stock_take_rows(rows)?;
        let Some(customer) = customer else { return Ok(StockTake::UnknownCustomer) };
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
        let products = lines.iter().map(|l| taken.remove(&l.product_id).expect("checked above")).collect();
        Ok(StockTake::Taken { customer, products })
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
