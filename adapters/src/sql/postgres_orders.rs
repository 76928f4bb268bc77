//! The unit of work on PostgreSQL, in as few round trips as the port allows: `BEGIN`
//! travels with the first statement and `COMMIT` with the order's rows, so placing an
//! order without a key is two round trips (pgbench's plain transaction of the same work
//! takes one per statement).
//!
//! Folding statements into one trip needs PostgreSQL's simple query protocol, which has
//! no parameters and plans every statement it is sent. So the statements of an order
//! (the customer's row and a conditional decrement per line, then the order row and a
//! row per line: pgbench's script, plus the customer) are prepared once per connection
//! (`PREPARE`, by the first unit that finds them missing) and run with `EXECUTE`,
//! whose arguments are only values whose text their types fix: UUIDs, integers,
//! timestamps, and the order's status and currency (validated codes). Text that comes from people (idempotency keys) is always bound.
//! The lines' sku and name are copied inside the database from the product rows this
//! unit took stock of and holds locked, after checking that they are what the order
//! was priced with.

use super::KEY_WAIT;
use super::convert::{self, CUSTOMER_COLUMNS};
use super::entities::idempotency_key;
use super::errors::{POSTGRES_LOCK_TIMEOUT, db_error, sqlx_error};
use super::orders::existing_claim;
use orders_core::domain::{Order, OrderId, OrderRequestLine, ProductId, Quantity, Timestamp, UserId};
use orders_core::ports::{BackendError, Claim, KeyClaim, OrderTx, StockTake, TakenProduct};
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::postgres::PgRow;
use sea_orm::sqlx::{self, AssertSqlSafe, PgConnection, Postgres, Row};
use sea_orm::{FromQueryResult, QueryResult};
use std::collections::HashMap;
use std::fmt::Write as _;
use uuid::Uuid;

pub(super) struct PostgresTx {
    /// `None` only once dropped.
    conn: Option<PoolConnection<Postgres>>,
    /// `BEGIN` has been sent.
    begun: bool,
    committed: bool,
    /// What [`OrderTx::take_stock`] took, by product: the rows this unit holds locked.
    taken: HashMap<ProductId, TakenProduct>,
    /// The order [`OrderTx::insert_order`] stored, written with `COMMIT`.
    pending: Option<Order>,
}

impl PostgresTx {
    pub(super) fn new(conn: PoolConnection<Postgres>) -> Self {
        Self { conn: Some(conn), begun: false, committed: false, taken: HashMap::new(), pending: None }
    }

    fn pooled(&mut self) -> &mut PoolConnection<Postgres> {
        self.conn.as_mut().expect("the connection is held until the unit is dropped")
    }

    fn conn(&mut self) -> &mut PgConnection {
        self.pooled()
    }

    /// Runs `sql` (simple protocol, no parameters), and returns the rows it produced.
    /// The unit's first trip begins the transaction and checks that the connection has
    /// the prepared statements, preparing them if not.
    async fn simple(&mut self, sql: &str) -> Result<Vec<PgRow>, BackendError> {
        if self.begun {
            return self.run(sql.to_owned()).await.map_err(sqlx_error);
        }
        self.begun = true;
        match self.run(format!("BEGIN; EXECUTE {PREPARED}; {sql}")).await {
            Err(error) if has_code(&error, UNDEFINED_PREPARED_STATEMENT) => {
                let prepared = match self.run(format!("ROLLBACK; {}", prepare())).await {
                    Ok(_) => self.run(format!("BEGIN; {sql}")).await,
                    Err(error) => Err(error),
                };
                if prepared.is_err() {
                    // Prepared statements outlive a failed batch: some may now exist
                    // without the marker, so this connection must not be reused.
                    self.pooled().close_on_drop();
                }
                prepared.map_err(sqlx_error)
            }
            other => other.map_err(sqlx_error),
        }
    }

    async fn run(&mut self, sql: String) -> Result<Vec<PgRow>, sqlx::Error> {
        sqlx::raw_sql(AssertSqlSafe(sql)).fetch_all(self.conn()).await
    }
}

/// PostgreSQL's SQLSTATE for `EXECUTE` of a statement this session has not prepared.
const UNDEFINED_PREPARED_STATEMENT: &str = "26000";
/// Prepared last, so that a connection that has it has the others.
const PREPARED: &str = "orders_prepared";
/// The statements of a unit, prepared on a connection that lacks them; the marker last.
fn prepare() -> String {
    format!(
        "\
    PREPARE take_line(uuid, int8) AS \
      UPDATE products SET stock = stock - $2 WHERE id = $1 AND stock >= $2 RETURNING id, sku, name, price_cents; \
    PREPARE insert_order(uuid, uuid, text, text, int8, int8, int8, timestamptz) AS \
      INSERT INTO orders (id, user_id, status, currency, subtotal_cents, discount_cents, total_cents, created_at, \
                          cancelled_at) \
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL); \
    PREPARE insert_line(uuid, int4, uuid, int8, int8, int8) AS \
      INSERT INTO order_lines (order_id, line_no, product_id, sku, name, quantity, unit_price_cents, \
                               line_total_cents) \
      SELECT $1, $2, id, sku, name, $4, $5, $6 FROM products WHERE id = $3; \
    PREPARE customer(uuid) AS SELECT {CUSTOMER_COLUMNS} FROM users WHERE id = $1; \
    PREPARE {PREPARED} AS SELECT WHERE false"
    )
}

fn uuid(id: Uuid) -> String {
    format!("'{id}'::uuid")
}

fn timestamp(at: Timestamp) -> String {
    format!("'{}'::timestamptz", at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
}

#[async_trait::async_trait]
impl OrderTx for PostgresTx {
    /// While another unit holds the key uncommitted, the insert waits for its outcome,
    /// up to [`KEY_WAIT`]; after that the key is reported in use.
    async fn claim_key(&mut self, claim: &KeyClaim) -> Result<Claim, BackendError> {
        self.simple(&format!("SET LOCAL lock_timeout = '{}ms'", KEY_WAIT.as_millis())).await?;
        let inserted = convert::bind_claim(sqlx::query(convert::CLAIM_KEY), claim).fetch_all(self.conn()).await;
        let inserted = match inserted {
            Err(error) if has_code(&error, POSTGRES_LOCK_TIMEOUT) => return Ok(Claim::InUse),
            other => other.map_err(sqlx_error)?,
        };
        self.simple("SET LOCAL lock_timeout TO DEFAULT").await?;
        if !inserted.is_empty() {
            return Ok(Claim::Claimed);
        }
        // Read on this unit's connection: waiting for another from the pool while
        // holding this one would starve the pool when many retries of one key arrive.
        let recorded = sqlx::query(
            "SELECT user_id, key, fingerprint, outcome, order_id, product_id, requested, available, created_at_ms \
             FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        )
        .bind(claim.user.as_uuid())
        .bind(claim.key.as_str())
        .fetch_optional(self.conn())
        .await
        .map_err(sqlx_error)?;
        let recorded = recorded
            .map(|row| idempotency_key::Model::from_query_result(&QueryResult::from(row), ""))
            .transpose()
            .map_err(db_error)?;
        existing_claim(recorded)
    }

    /// One trip for the customer and all lines: the customer's row, and a conditional
    /// decrement per line, in the lines' order, each locking its product's row.
    async fn take_stock(&mut self, customer: UserId, lines: &[OrderRequestLine]) -> Result<StockTake, BackendError> {
        let mut sql = format!("EXECUTE customer({})", uuid(customer.as_uuid()));
        for line in lines {
            let _ = write!(sql, "; EXECUTE take_line({}, {})", uuid(line.product_id.as_uuid()), line.quantity.units());
        }
        let (customer, taken) = convert::stock_take_rows(self.simple(&sql).await?)?;
        self.taken.extend(taken);
        let Some(customer) = customer else { return Ok(StockTake::UnknownCustomer) };
        if let Some(unserved) = lines.iter().find(|l| !self.taken.contains_key(&l.product_id)) {
            let id = unserved.product_id;
            let stock = self.simple(&format!("SELECT stock FROM products WHERE id = {}", uuid(id.as_uuid()))).await?;
            return Ok(match stock.first() {
                Some(row) => {
                    // Read after the decrement failed: a restock may have come in
                    // between, and the answer must still explain the refusal.
                    let available: i64 = row.try_get(0).map_err(sqlx_error)?;
                    StockTake::Short { product_id: id, available: available.min(unserved.quantity.units() - 1) }
                }
                None => StockTake::Missing(id),
            });
        }
        let products = lines.iter().map(|l| self.taken[&l.product_id].clone()).collect();
        Ok(StockTake::Taken { customer, products })
    }

    async fn insert_order(&mut self, order: &Order) -> Result<(), BackendError> {
        for line in &order.lines {
            let priced = TakenProduct { sku: line.sku.clone(), name: line.name.clone(), price: line.unit_price };
            if self.taken.get(&line.product_id) != Some(&priced) {
                return Err(BackendError::failed(format!(
                    "order line for product {} is not what this unit took stock of",
                    line.product_id
                )));
            }
        }
        self.pending = Some(order.clone());
        Ok(())
    }

    async fn mark_cancelled(&mut self, order: OrderId, at: Timestamp) -> Result<bool, BackendError> {
        let marked = self
            .simple(&format!(
                "UPDATE orders SET status = 'cancelled', cancelled_at = {} WHERE id = {} AND status = 'placed' \
                 RETURNING 1",
                timestamp(at),
                uuid(order.as_uuid())
            ))
            .await?;
        Ok(marked.len() == 1)
    }

    async fn return_stock(&mut self, product: ProductId, quantity: Quantity) -> Result<(), BackendError> {
        let returned = self
            .simple(&format!(
                "UPDATE products SET stock = stock + {} WHERE id = {} RETURNING 1",
                quantity.units(),
                uuid(product.as_uuid())
            ))
            .await?;
        if returned.len() != 1 {
            return Err(BackendError::failed(format!("product {product} of a placed order has vanished")));
        }
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<(), BackendError> {
        match self.pending.take() {
            Some(order) => {
                let sql = format!("{}; COMMIT", insert_sql(&order));
                self.simple(&sql).await?;
            }
            None if self.begun => {
                self.simple("COMMIT").await?;
            }
            None => {}
        }
        self.committed = true;
        Ok(())
    }
}

/// `EXECUTE`s of `insert_order` and `insert_line` for `order`: its row, and its lines
/// with sku and name copied from the product rows.
fn insert_sql(order: &Order) -> String {
    let order_id = uuid(order.id.as_uuid());
    let mut sql = format!(
        "EXECUTE insert_order({order_id}, {}, '{}', '{}', {}, {}, {}, {})",
        uuid(order.user_id.as_uuid()),
        order.status.as_str(),
        order.currency.as_str(),
        order.totals.subtotal.cents(),
        order.totals.discount.cents(),
        order.totals.total.cents(),
        timestamp(order.created_at),
    );
    for (line_no, line) in order.lines.iter().enumerate() {
        let _ = write!(
            sql,
            "; EXECUTE insert_line({order_id}, {line_no}, {}, {}, {}, {})",
            uuid(line.product_id.as_uuid()),
            line.quantity.units(),
            line.unit_price.cents(),
            line.line_total.cents()
        );
    }
    sql
}

fn has_code(error: &sqlx::Error, code: &str) -> bool {
    error.as_database_error().and_then(|e| e.code()).as_deref() == Some(code)
}

impl Drop for PostgresTx {
    /// Rolls back an uncommitted unit before its connection is reused; a connection
    /// whose rollback fails (or with no runtime to run it) is closed, which rolls back
    /// too.
    fn drop(&mut self) {
        if self.committed || !self.begun {
            return;
        }
        let Some(mut conn) = self.conn.take() else { return };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await.is_err() {
                        conn.close_on_drop();
                    }
                });
            }
            Err(_) => conn.close_on_drop(),
        }
    }
}
