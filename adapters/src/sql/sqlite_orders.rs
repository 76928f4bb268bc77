//! Placing and cancelling an order on SQLite: what
//! [`OrderStore::place`](orders_core::ports::OrderStore::place) and `cancel` promise, as
//! statements built with sea-query from the entities' columns (once per process, with
//! numbered parameters: [`Built`]), every value bound, run as one unit of work on the
//! store's writer ([`super::sqlite_writer`]). The unit holds SQLite's write lock, so its
//! checks and writes cannot interleave with another's.

use super::convert::{self, StoredOutcome};
use super::entities::{idempotency_key, order, order_line, product, user};
use super::events;
use super::sqlite_statements::{
    Built, column, execute_built, param, params_for, query, query_built, sql_of, time_text, uuid_column,
};
use super::sqlite_writer::SqliteWriter;
use orders_core::domain::{
    IdempotencyRecord, Order, OrderContext, OrderStatus, ProductId, RecordedOutcome, RequestFingerprint, Tier,
    Timestamp, UserId,
};
use orders_core::ports::{BackendError, Claim, KeyClaim, Placement};
use rusqlite::Connection;
use rusqlite::params;
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
    let mut emptied = Vec::new();
    for line in lines {
        if !holds {
            break;
        }
        let id = line.product_id.as_uuid();
        let stock = query_built(
            conn,
            &STOCK_ON_TERMS,
            params![&id.as_bytes()[..], line.sku.as_str(), line.name.as_str(), line.unit_price.cents()],
            |row| column::<i64>(row, 0),
        )?;
        let units = line.quantity.units();
        holds = matches!(stock[..], [stock] if stock >= units);
        if holds {
            execute_built(conn, &TAKE_STOCK, params![&id.as_bytes()[..], units])?;
            if stock == [units] {
                emptied.push(line.product_id);
            }
        }
    }
    if !holds {
        let products: Vec<ProductId> = order.lines.iter().map(|line| line.product_id).collect();
        return Ok((Placement::Stale(context_in(conn, order.user_id, &products)?), false));
    }
    insert_order(conn, order)?;
    events::sqlite::record_placement(conn, order, &emptied)?;
    Ok((Placement::Placed, true))
}

/// The unit of a cancellation: whether the order was placed, and whether to keep what
/// it wrote.
fn cancel_in(conn: &Connection, order: &Order, at: Timestamp) -> Result<(bool, bool), BackendError> {
    let id = order.id.as_uuid();
    let marked = execute_built(
        conn,
        &MARK_CANCELLED,
        params![&id.as_bytes()[..], time_text(at), OrderStatus::Cancelled.as_str(), OrderStatus::Placed.as_str()],
    )?;
    if marked == 0 {
        return Ok((false, false));
    }
    for line in &order.lines {
        let product = line.product_id.as_uuid();
        if execute_built(conn, &GIVE_BACK, params![&product.as_bytes()[..], line.quantity.units()])? != 1 {
            return Err(BackendError::failed(format!("product {} of a placed order has vanished", line.product_id)));
        }
    }
    events::sqlite::record_cancellation(conn, order, at)?;
    Ok((true, true))
}

/// Inserts `key` unless its key is taken: then what is recorded under it.
fn claim_in(conn: &Connection, key: &idempotency_key::Model) -> Result<Option<IdempotencyRecord>, BackendError> {
    let user = key.user_id.as_bytes();
    let ids = |id: Option<uuid::Uuid>| id.map(|id| id.as_bytes().to_vec());
    let claimed = execute_built(
        conn,
        &CLAIM_KEY,
        params![
            &user[..],
            key.key,
            key.fingerprint,
            key.outcome,
            ids(key.order_id),
            ids(key.product_id),
            key.requested,
            key.available,
            key.created_at_ms
        ],
    )?;
    if claimed == 1 {
        return Ok(None);
    }
    let records = query_built(conn, &RECORDED_KEY, params![&user[..], key.key], |row| {
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
    let id = customer.as_uuid();
    let tiers =
        query_built(conn, &TIER_OF, params![&id.as_bytes()[..]], |row| convert::tier(&column::<String>(row, 0)?))?;
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

/// Inserts `order` and its lines.
fn insert_order(conn: &Connection, order: &Order) -> Result<(), BackendError> {
    let id = order.id.as_uuid();
    let customer = order.user_id.as_uuid();
    execute_built(
        conn,
        &INSERT_ORDER,
        params![
            &id.as_bytes()[..],
            &customer.as_bytes()[..],
            order.status.as_str(),
            order.currency.as_str(),
            order.totals.subtotal.cents(),
            order.totals.discount.cents(),
            order.totals.total.cents(),
            time_text(order.created_at),
            order.cancelled_at.map(time_text)
        ],
    )?;
    for (line, line_no) in order.lines.iter().zip(0_i32..) {
        let product = line.product_id.as_uuid();
        execute_built(
            conn,
            &INSERT_LINE,
            params![
                &id.as_bytes()[..],
                line_no,
                &product.as_bytes()[..],
                line.sku.as_str(),
                line.name.as_str(),
                line.quantity.units(),
                line.unit_price.cents(),
                line.line_total.cents()
            ],
        )?;
    }
    Ok(())
}

/// The stock of product ?1 if it still has sku ?2, name ?3 and price ?4, or no row.
/// Read, then taken with [`TAKE_STOCK`] under the unit's write lock: an `UPDATE …
/// RETURNING` would cost SQLite a temporary B-tree per statement for the rows it returns.
static STOCK_ON_TERMS: Built = Built::new(|| {
    use product::Column;
    sql_of(
        Query::select()
            .column(Column::Stock)
            .from(product::Entity)
            .and_where(Expr::col(Column::Id).eq(param(1)))
            .and_where(Expr::col(Column::Sku).eq(param(2)))
            .and_where(Expr::col(Column::Name).eq(param(3)))
            .and_where(Expr::col(Column::PriceCents).eq(param(4))),
    )
});

/// Takes ?2 units of product ?1.
static TAKE_STOCK: Built = Built::new(|| {
    use product::Column;
    sql_of(
        Query::update()
            .table(product::Entity)
            .value(Column::Stock, Expr::col(Column::Stock).sub(param(2)))
            .and_where(Expr::col(Column::Id).eq(param(1))),
    )
});

/// Gives ?2 units back to product ?1.
static GIVE_BACK: Built = Built::new(|| {
    use product::Column;
    sql_of(
        Query::update()
            .table(product::Entity)
            .value(Column::Stock, Expr::col(Column::Stock).add(param(2)))
            .and_where(Expr::col(Column::Id).eq(param(1))),
    )
});

/// Marks order ?1 as ?3 (cancelled) at ?2 if it is ?4 (placed).
static MARK_CANCELLED: Built = Built::new(|| {
    use order::Column;
    sql_of(
        Query::update()
            .table(order::Entity)
            .value(Column::Status, param(3))
            .value(Column::CancelledAt, param(2))
            .and_where(Expr::col(Column::Id).eq(param(1)))
            .and_where(Expr::col(Column::Status).eq(param(4))),
    )
});

/// The tier of user ?1.
static TIER_OF: Built = Built::new(|| {
    sql_of(
        Query::select()
            .column(user::Column::Tier)
            .from(user::Entity)
            .and_where(Expr::col(user::Column::Id).eq(param(1))),
    )
});

/// An order's row, its columns in order as parameters ?1 to ?9.
static INSERT_ORDER: Built = Built::new(|| {
    use order::Column;
    let columns = [
        Column::Id,
        Column::UserId,
        Column::Status,
        Column::Currency,
        Column::SubtotalCents,
        Column::DiscountCents,
        Column::TotalCents,
        Column::CreatedAt,
        Column::CancelledAt,
    ];
    sql_of(Query::insert().into_table(order::Entity).columns(columns).values_panic(params_for(columns.len())))
});

/// A line's row, its columns in order as parameters ?1 to ?8.
static INSERT_LINE: Built = Built::new(|| {
    use order_line::Column;
    let columns = [
        Column::OrderId,
        Column::LineNo,
        Column::ProductId,
        Column::Sku,
        Column::Name,
        Column::Quantity,
        Column::UnitPriceCents,
        Column::LineTotalCents,
    ];
    sql_of(Query::insert().into_table(order_line::Entity).columns(columns).values_panic(params_for(columns.len())))
});

/// An idempotency key's row, its columns in order as parameters ?1 to ?9, unless the
/// key (?1, ?2) is taken.
static CLAIM_KEY: Built = Built::new(|| {
    use idempotency_key::Column;
    let columns = [
        Column::UserId,
        Column::Key,
        Column::Fingerprint,
        Column::Outcome,
        Column::OrderId,
        Column::ProductId,
        Column::Requested,
        Column::Available,
        Column::CreatedAtMs,
    ];
    sql_of(
        Query::insert()
            .into_table(idempotency_key::Entity)
            .columns(columns)
            .values_panic(params_for(columns.len()))
            .on_conflict(OnConflict::columns([Column::UserId, Column::Key]).do_nothing().to_owned()),
    )
});

/// What is recorded under user ?1's key ?2.
static RECORDED_KEY: Built = Built::new(|| {
    use idempotency_key::Column;
    sql_of(
        Query::select()
            .columns([Column::Fingerprint, Column::Outcome, Column::OrderId, Column::ProductId, Column::Requested])
            .column(Column::Available)
            .from(idempotency_key::Entity)
            .and_where(Expr::col(Column::UserId).eq(param(1)))
            .and_where(Expr::col(Column::Key).eq(param(2))),
    )
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_built_once_number_their_parameters_and_hold_no_value() {
        assert_eq!(
            STOCK_ON_TERMS.sql(),
            r#"SELECT "stock" FROM "products" WHERE "id" = (?1) AND "sku" = (?2) AND "name" = (?3) AND "price_cents" = (?4)"#
        );
        assert_eq!(TAKE_STOCK.sql(), r#"UPDATE "products" SET "stock" = "stock" - (?2) WHERE "id" = (?1)"#);
        for built in [&GIVE_BACK, &MARK_CANCELLED, &TIER_OF, &INSERT_ORDER, &INSERT_LINE, &CLAIM_KEY, &RECORDED_KEY] {
            assert!(built.sql().contains("?1"), "{}", built.sql());
        }
        assert!(INSERT_ORDER.sql().ends_with("VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"), "{}", INSERT_ORDER.sql());
    }
}
