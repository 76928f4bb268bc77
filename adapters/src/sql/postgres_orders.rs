//! Placing and cancelling an order on PostgreSQL: one call each of the functions that
//! migration m0002 installs (`migrations/postgres_orders.sql`), built with sea-query
//! and every value bound. In autocommit, one statement is one transaction: the order
//! is placed (or found stale) and committed in one round trip, and answered only once
//! committed.

use super::KEY_WAIT;
use super::convert::{self, StoredOutcome};
use super::entities::idempotency_key;
use super::errors::{POSTGRES_LOCK_TIMEOUT, database_code, db_error};
use orders_core::domain::{IdempotencyRecord, Order, OrderContext, RequestFingerprint, Tier, Timestamp};
use orders_core::ports::{BackendError, Claim, KeyClaim, Placement};
use sea_orm::sea_query::{Alias, Asterisk, Expr, Func, Query};
use sea_orm::{ConnectionTrait, FromQueryResult, QueryResult};
use uuid::Uuid;

/// The functions' names.
const PLACE: &str = "orders_place";
const CANCEL: &str = "orders_cancel";
const CLAIM_KEY: &str = "orders_claim_key";

/// `SELECT * FROM function(args…)`.
fn call(function: &str, args: Vec<Expr>) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(Asterisk)
        .from_function(Func::cust(Alias::new(function)).args(args), Alias::new("answer"))
        .to_owned()
}

fn wait_ms() -> i32 {
    i32::try_from(KEY_WAIT.as_millis()).expect("the key wait fits in milliseconds as i32")
}

/// Places `order` for a customer of `tier` (see [`OrderStore::place`](orders_core::ports::OrderStore::place)).
pub(super) async fn place(
    db: &impl ConnectionTrait,
    order: &Order,
    tier: Tier,
    claim: Option<&KeyClaim>,
) -> Result<Placement, BackendError> {
    let lines = &order.lines;
    let args = vec![
        Expr::val(order.id.as_uuid()),
        Expr::val(order.user_id.as_uuid()),
        Expr::val(tier.as_str()),
        Expr::val(order.currency.as_str()),
        Expr::val(order.totals.subtotal.cents()),
        Expr::val(order.totals.discount.cents()),
        Expr::val(order.totals.total.cents()),
        Expr::val(order.created_at),
        Expr::val(lines.iter().map(|l| l.product_id.as_uuid()).collect::<Vec<_>>()),
        Expr::val(lines.iter().map(|l| l.quantity.units()).collect::<Vec<_>>()),
        Expr::val(lines.iter().map(|l| l.sku.as_str().to_owned()).collect::<Vec<_>>()),
        Expr::val(lines.iter().map(|l| l.name.as_str().to_owned()).collect::<Vec<_>>()),
        Expr::val(lines.iter().map(|l| l.unit_price.cents()).collect::<Vec<_>>()),
        Expr::val(lines.iter().map(|l| l.line_total.cents()).collect::<Vec<_>>()),
        Expr::val(claim.map(|c| c.key.as_str().to_owned())),
        Expr::val(claim.map(|c| c.fingerprint.as_str().to_owned())),
        Expr::val(claim.map(|c| convert::millis(c.at))),
        Expr::val(wait_ms()),
    ];
    let rows = match db.query_all(&call(PLACE, args)).await {
        Err(error) if database_code(&error).as_deref() == Some(POSTGRES_LOCK_TIMEOUT) => {
            return Ok(Placement::KeyInUse);
        }
        other => other.map_err(db_error)?,
    };
    placement(&rows)
}

/// What `orders_place`'s rows say.
fn placement(rows: &[QueryResult]) -> Result<Placement, BackendError> {
    let text = |row: &QueryResult, column: &str| row.try_get::<Option<String>>("", column).map_err(db_error);
    let Some(first) = rows.first() else {
        return Err(BackendError::failed(format!("{PLACE} answered nothing")));
    };
    match text(first, "kind")?.as_deref() {
        Some("placed") => Ok(Placement::Placed),
        Some("key_used") => {
            let fingerprint = text(first, "key_fingerprint")?.unwrap_or_default();
            let outcome = text(first, "key_outcome")?.unwrap_or_default();
            let stored = StoredOutcome {
                outcome: &outcome,
                order_id: first.try_get("", "key_order_id").map_err(db_error)?,
                product_id: first.try_get("", "key_product_id").map_err(db_error)?,
                requested: first.try_get("", "key_requested").map_err(db_error)?,
                available: first.try_get("", "key_available").map_err(db_error)?,
            };
            let record = IdempotencyRecord {
                fingerprint: RequestFingerprint::from_stored(fingerprint),
                outcome: stored.read()?,
            };
            Ok(Placement::KeyUsed(record))
        }
        Some("customer") => {
            let tier = text(first, "tier")?.as_deref().map(convert::tier).transpose()?;
            let products = rows[1..]
                .iter()
                .map(|row| {
                    let id: Uuid = row.try_get("", "product_id").map_err(db_error)?;
                    let sku = text(row, "sku")?.unwrap_or_default();
                    let name = text(row, "name")?.unwrap_or_default();
                    let price: i64 = row.try_get("", "price_cents").map_err(db_error)?;
                    let stock: i64 = row.try_get("", "stock").map_err(db_error)?;
                    convert::product_state(id, &sku, &name, price, Some(stock))
                })
                .collect::<Result<_, _>>()?;
            Ok(Placement::Stale(OrderContext { tier, products }))
        }
        other => Err(BackendError::failed(format!("{PLACE} answered {other:?}"))),
    }
}

/// Cancels `order` at `at` (see [`OrderStore::cancel`](orders_core::ports::OrderStore::cancel)).
pub(super) async fn cancel(db: &impl ConnectionTrait, order: &Order, at: Timestamp) -> Result<bool, BackendError> {
    let statement = Query::select()
        .expr_as(
            Func::cust(Alias::new(CANCEL)).args([Expr::val(order.id.as_uuid()), Expr::val(at)]),
            Alias::new("cancelled"),
        )
        .to_owned();
    let row = db.query_one(&statement).await.map_err(db_error)?;
    let row = row.ok_or_else(|| BackendError::failed(format!("{CANCEL} answered nothing")))?;
    row.try_get("", "cancelled").map_err(db_error)
}

/// Remembers `row` under its key unless the key is taken: `Claimed`; else what is
/// recorded under it, or `InUse` while another transaction holds it past [`KEY_WAIT`].
pub(super) async fn claim_key(db: &impl ConnectionTrait, row: idempotency_key::Model) -> Result<Claim, BackendError> {
    let args = vec![
        Expr::val(row.user_id),
        Expr::val(row.key),
        Expr::val(row.fingerprint),
        Expr::val(row.outcome),
        Expr::val(row.order_id),
        Expr::val(row.product_id),
        Expr::val(row.requested),
        Expr::val(row.available),
        Expr::val(row.created_at_ms),
        Expr::val(wait_ms()),
    ];
    let taken = match db.query_one(&call(CLAIM_KEY, args)).await {
        Err(error) if database_code(&error).as_deref() == Some(POSTGRES_LOCK_TIMEOUT) => return Ok(Claim::InUse),
        other => other.map_err(db_error)?,
    };
    match taken {
        None => Ok(Claim::Claimed),
        Some(row) => {
            let model = idempotency_key::Model::from_query_result(&row, "").map_err(db_error)?;
            Ok(Claim::Existing(convert::idempotency_record(model)?))
        }
    }
}
