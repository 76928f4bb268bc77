//! The events of SQLite's order units, written on the writer's connection inside the
//! unit, so in the same savepoint and batch transaction as the change: kept, rolled back
//! and committed with it.

use super::rows;
use crate::sql::convert;
use crate::sql::entities::product;
use crate::sql::sqlite_columns::time_column;
use crate::sql::sqlite_statements::{column, execute, query, uuid_column};
use orders_core::domain::{Event, Order, Timestamp};
use orders_core::ports::BackendError;
use rusqlite::Connection;
use sea_orm::sea_query::{Expr, ExprTrait, Query};

/// Records the events of placing `order`, after its stock was taken: `order.placed`,
/// and `product.out_of_stock` for each product it left with none.
pub(in crate::sql) fn record_placement(conn: &Connection, order: &Order) -> Result<(), BackendError> {
    use product::Column;
    let select = Query::select()
        .columns([Column::Id, Column::Sku, Column::Name, Column::PriceCents, Column::Stock])
        .columns([Column::CreatedAt, Column::UpdatedAt])
        .from(product::Entity)
        .and_where(Expr::col(Column::Id).is_in(order.lines.iter().map(|line| line.product_id.as_uuid())))
        .to_owned();
    let products = query(conn, &select, |row| {
        convert::product(product::Model {
            id: uuid_column(row, 0)?,
            sku: column(row, 1)?,
            name: column(row, 2)?,
            price_cents: column(row, 3)?,
            stock: column(row, 4)?,
            created_at: time_column(row, 5)?,
            updated_at: time_column(row, 6)?,
        })
    })?;
    let mut events = vec![Event::order_placed(order)];
    events.extend(products.iter().filter_map(|product| Event::stock_taken(product, order.created_at)));
    execute(conn, &rows::insert(&events)?).map(|_| ())
}

/// Records `order.cancelled` for `order`, cancelled at `at`.
pub(in crate::sql) fn record_cancellation(conn: &Connection, order: &Order, at: Timestamp) -> Result<(), BackendError> {
    execute(conn, &rows::insert(&[Event::order_cancelled(order, at)])?).map(|_| ())
}
