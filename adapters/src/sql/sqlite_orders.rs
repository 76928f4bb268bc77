//! Placing and cancelling an order on SQLite: what
//! [`OrderStore::place`](orders_core::ports::OrderStore::place) and `cancel` promise, as
//! statements built with sea-query from the entities' columns, every value bound, run
//! as one unit of work on the store's writer ([`super::sqlite_writer`]). The unit holds
//! SQLite's write lock, so its checks and writes cannot interleave with another's.

use super::convert::{self, StoredOutcome};
use super::entities::{idempotency_key, order, order_line, product, user};
use super::events;
use super::sqlite_statements::{column, execute, query, uuid_column};
use super::sqlite_writer::SqliteWriter;
use orders_core::domain::{
    IdempotencyRecord, Order, OrderContext, OrderStatus, ProductId, RecordedOutcome, RequestFingerprint, Tier,
    Timestamp, UserId,
};
use orders_core::ports::{BackendError, Claim, KeyClaim, Placement};
use rusqlite::Connection;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};

/// Places `order` for a customer of `tier`, with `claim`'s key.
pub(super) async fn place(
    writer: &SqliteWriter,
    order: &Order,
    tier: Tier,
    claim: Option<&KeyClaim>,
) -> Result<Placement, BackendError> {
    let order = order.clone();
    let key = claim.map(|claim| convert::idempotency_row(claim, &RecordedOutcome::Placed(claim.order_id)));
    writer.unit(Box::new(move |conn| place_in(conn, &order, tier, key.as_ref()))).await
}

/// Cancels `order` at `at`: whether it was placed.
pub(super) async fn cancel(writer: &SqliteWriter, order: &Order, at: Timestamp) -> Result<bool, BackendError> {
    let order = order.clone();
    writer.unit(Box::new(move |conn| cancel_in(conn, &order, at))).await
}

/// Remembers `row` under its key unless the key is taken.
pub(super) async fn claim_key(writer: &SqliteWriter, row: idempotency_key::Model) -> Result<Claim, BackendError> {
    writer
        .unit(Box::new(move |conn| match claim_in(conn, &row)? {
            None => Ok((Claim::Claimed, true)),
            Some(record) => Ok((Claim::Existing(record), false)),
        }))
        .await
}

/// The unit of a placement: its answer, and whether to keep what it wrote.
fn place_in(
    conn: &Connection,
    order: &Order,
    tier: Tier,
    key: Option<&idempotency_key::Model>,
) -> Result<(Placement, bool), BackendError> {
    if let Some(key) = key
        && let Some(record) = claim_in(conn, key)?
    {
        return Ok((Placement::KeyUsed(record), false));
    }
    let mut holds = tier_of(conn, order.user_id)? == Some(tier);
    let mut lines: Vec<_> = order.lines.iter().collect();
    lines.sort_by_key(|line| line.product_id);
    for line in lines {
        if !holds {
            break;
        }
        let take = Query::update()
            .table(product::Entity)
            .value(product::Column::Stock, Expr::col(product::Column::Stock).sub(line.quantity.units()))
            .and_where(Expr::col(product::Column::Id).eq(line.product_id.as_uuid()))
            .and_where(Expr::col(product::Column::Stock).gte(line.quantity.units()))
            .and_where(Expr::col(product::Column::Sku).eq(line.sku.as_str()))
            .and_where(Expr::col(product::Column::Name).eq(line.name.as_str()))
            .and_where(Expr::col(product::Column::PriceCents).eq(line.unit_price.cents()))
            .to_owned();
        holds = execute(conn, &take)? == 1;
    }
    if !holds {
        let products: Vec<ProductId> = order.lines.iter().map(|line| line.product_id).collect();
        return Ok((Placement::Stale(context_in(conn, order.user_id, &products)?), false));
    }
    execute(conn, &insert_order(order)?)?;
    execute(conn, &insert_lines(order)?)?;
    events::sqlite::record_placement(conn, order)?;
    Ok((Placement::Placed, true))
}

/// The unit of a cancellation: whether the order was placed, and whether to keep what
/// it wrote.
fn cancel_in(conn: &Connection, order: &Order, at: Timestamp) -> Result<(bool, bool), BackendError> {
    let mark = Query::update()
        .table(order::Entity)
        .value(order::Column::Status, OrderStatus::Cancelled.as_str())
        .value(order::Column::CancelledAt, at)
        .and_where(Expr::col(order::Column::Id).eq(order.id.as_uuid()))
        .and_where(Expr::col(order::Column::Status).eq(OrderStatus::Placed.as_str()))
        .to_owned();
    if execute(conn, &mark)? == 0 {
        return Ok((false, false));
    }
    for line in &order.lines {
        let give_back = Query::update()
            .table(product::Entity)
            .value(product::Column::Stock, Expr::col(product::Column::Stock).add(line.quantity.units()))
            .and_where(Expr::col(product::Column::Id).eq(line.product_id.as_uuid()))
            .to_owned();
        if execute(conn, &give_back)? != 1 {
            return Err(BackendError::failed(format!("product {} of a placed order has vanished", line.product_id)));
        }
    }
    events::sqlite::record_cancellation(conn, order, at)?;
    Ok((true, true))
}

/// Inserts `key` unless its key is taken: then what is recorded under it.
fn claim_in(conn: &Connection, key: &idempotency_key::Model) -> Result<Option<IdempotencyRecord>, BackendError> {
    use idempotency_key::Column;
    let insert = Query::insert()
        .into_table(idempotency_key::Entity)
        .columns([
            Column::UserId,
            Column::Key,
            Column::Fingerprint,
            Column::Outcome,
            Column::OrderId,
            Column::ProductId,
            Column::Requested,
            Column::Available,
            Column::CreatedAtMs,
        ])
        .values([
            key.user_id.into(),
            key.key.clone().into(),
            key.fingerprint.clone().into(),
            key.outcome.clone().into(),
            key.order_id.into(),
            key.product_id.into(),
            key.requested.into(),
            key.available.into(),
            key.created_at_ms.into(),
        ])
        .map_err(BackendError::failed)?
        .on_conflict(OnConflict::columns([Column::UserId, Column::Key]).do_nothing().to_owned())
        .to_owned();
    if execute(conn, &insert)? == 1 {
        return Ok(None);
    }
    let recorded = Query::select()
        .columns([Column::Fingerprint, Column::Outcome, Column::OrderId, Column::ProductId, Column::Requested])
        .column(Column::Available)
        .from(idempotency_key::Entity)
        .and_where(Expr::col(Column::UserId).eq(key.user_id))
        .and_where(Expr::col(Column::Key).eq(key.key.as_str()))
        .to_owned();
    let records = query(conn, &recorded, |row| {
        let outcome: String = column(row, 1)?;
        let ids = |index| -> Result<Option<uuid::Uuid>, BackendError> {
            let bytes: Option<Vec<u8>> = column(row, index)?;
            bytes.map(|bytes| uuid::Uuid::from_slice(&bytes).map_err(BackendError::failed)).transpose()
        };
        let stored = StoredOutcome {
            outcome: &outcome,
            order_id: ids(2)?,
            product_id: ids(3)?,
            requested: column(row, 4)?,
            available: column(row, 5)?,
        };
        Ok(IdempotencyRecord {
            fingerprint: RequestFingerprint::from_stored(column::<String>(row, 0)?),
            outcome: stored.read()?,
        })
    })?;
    let record = records.into_iter().next();
    record.ok_or_else(|| BackendError::failed("an idempotency key conflicted but cannot be read")).map(Some)
}

/// The customer's tier, `None` if there is no such user.
fn tier_of(conn: &Connection, customer: UserId) -> Result<Option<Tier>, BackendError> {
    let select = Query::select()
        .column(user::Column::Tier)
        .from(user::Entity)
        .and_where(Expr::col(user::Column::Id).eq(customer.as_uuid()))
        .to_owned();
    let tiers = query(conn, &select, |row| convert::tier(&column::<String>(row, 0)?))?;
    Ok(tiers.into_iter().next())
}

/// The customer's tier and those of `products` that exist, stock included, as this
/// unit sees them.
fn context_in(conn: &Connection, customer: UserId, products: &[ProductId]) -> Result<OrderContext, BackendError> {
    use product::Column;
    let select = Query::select()
        .columns([Column::Id, Column::Sku, Column::Name, Column::PriceCents, Column::Stock])
        .from(product::Entity)
        .and_where(Expr::col(Column::Id).is_in(products.iter().map(|id| id.as_uuid())))
        .to_owned();
    let products = query(conn, &select, |row| {
        let (sku, name): (String, String) = (column(row, 1)?, column(row, 2)?);
        convert::product_state(uuid_column(row, 0)?, &sku, &name, column(row, 3)?, Some(column(row, 4)?))
    })?;
    Ok(OrderContext { tier: tier_of(conn, customer)?, products })
}

fn insert_order(order: &Order) -> Result<sea_orm::sea_query::InsertStatement, BackendError> {
    use order::Column;
    Ok(Query::insert()
        .into_table(order::Entity)
        .columns([
            Column::Id,
            Column::UserId,
            Column::Status,
            Column::Currency,
            Column::SubtotalCents,
            Column::DiscountCents,
            Column::TotalCents,
            Column::CreatedAt,
            Column::CancelledAt,
        ])
        .values([
            order.id.as_uuid().into(),
            order.user_id.as_uuid().into(),
            order.status.as_str().into(),
            order.currency.as_str().into(),
            order.totals.subtotal.cents().into(),
            order.totals.discount.cents().into(),
            order.totals.total.cents().into(),
            order.created_at.into(),
            order.cancelled_at.into(),
        ])
        .map_err(BackendError::failed)?
        .to_owned())
}

fn insert_lines(order: &Order) -> Result<sea_orm::sea_query::InsertStatement, BackendError> {
    use order_line::Column;
    let mut insert = Query::insert();
    insert.into_table(order_line::Entity).columns([
        Column::OrderId,
        Column::LineNo,
        Column::ProductId,
        Column::Sku,
        Column::Name,
        Column::Quantity,
        Column::UnitPriceCents,
        Column::LineTotalCents,
    ]);
    for (line, line_no) in order.lines.iter().zip(0_i32..) {
        insert
            .values([
                order.id.as_uuid().into(),
                line_no.into(),
                line.product_id.as_uuid().into(),
                line.sku.as_str().into(),
                line.name.as_str().into(),
                line.quantity.units().into(),
                line.unit_price.cents().into(),
                line.line_total.cents().into(),
            ])
            .map_err(BackendError::failed)?;
    }
    Ok(insert)
}
