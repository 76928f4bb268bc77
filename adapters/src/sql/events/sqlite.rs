//! The events of SQLite's order units, written on the writer's connection inside the
//! unit, so in the same savepoint and batch transaction as the change: kept, rolled back
//! and committed with it. Their statements are built once ([`Built`]).

use crate::sql::convert;
use crate::sql::entities::{event, product};
use crate::sql::sqlite_columns::time_column;
use crate::sql::sqlite_statements::{Built, column, execute_built, param, query_built, sql_of, time_text, uuid_column};
use orders_core::domain::{Event, EventSubject, Order, ProductId, Timestamp};
use orders_core::ports::BackendError;
use rusqlite::{Connection, params};
use sea_orm::sea_query::{Expr, ExprTrait, Query};

/// Records the events of placing `order`, after its stock was taken: `order.placed`,
/// and `product.out_of_stock` for each of `emptied`, the products it left with none.
pub(in crate::sql) fn record_placement(
    conn: &Connection,
    order: &Order,
    emptied: &[ProductId],
) -> Result<(), BackendError> {
    insert(conn, &Event::order_placed(order))?;
    for &id in emptied {
        let read = query_built(conn, &PRODUCT, params![&id.as_uuid().as_bytes()[..]], |row| {
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
        for product in &read {
            if let Some(event) = Event::stock_taken(product, order.created_at) {
                insert(conn, &event)?;
            }
        }
    }
    Ok(())
}

/// Records `order.cancelled` for `order`, cancelled at `at`.
pub(in crate::sql) fn record_cancellation(conn: &Connection, order: &Order, at: Timestamp) -> Result<(), BackendError> {
    insert(conn, &Event::order_cancelled(order, at))
}

/// Writes `event`'s row (SQLite numbers it).
fn insert(conn: &Connection, event: &Event) -> Result<(), BackendError> {
    let id = event.id.as_uuid();
    let (order, product) = match &event.subject {
        EventSubject::Order(order) => (Some(order.id.as_uuid()), None),
        EventSubject::Product(product) => (None, Some(product)),
    };
    let product_id = product.map(|p| p.id.as_uuid());
    execute_built(
        conn,
        &INSERT_EVENT,
        params![
            &id.as_bytes()[..],
            event.kind.as_str(),
            time_text(event.occurred_at),
            order.as_ref().map(|id| &id.as_bytes()[..]),
            product_id.as_ref().map(|id| &id.as_bytes()[..]),
            product.map(|p| p.sku.as_str()),
            product.map(|p| p.name.as_str()),
            product.map(|p| p.price.cents()),
            product.map(|p| p.stock.units()),
            product.map(|p| time_text(p.created_at)),
            product.map(|p| time_text(p.updated_at))
        ],
    )
    .map(|_| ())
}

/// An event's row, its columns in order as parameters ?1 to ?11, as `rows::insert` writes it.
static INSERT_EVENT: Built = Built::new(|| {
    use event::Column;
    let columns = [
        Column::Id,
        Column::EventType,
        Column::OccurredAt,
        Column::OrderId,
        Column::ProductId,
        Column::ProductSku,
        Column::ProductName,
        Column::ProductPriceCents,
        Column::ProductStock,
        Column::ProductCreatedAt,
        Column::ProductUpdatedAt,
    ];
    let values: Vec<_> = (1..=11).map(param).collect();
    sql_of(Query::insert().into_table(event::Entity).columns(columns).values_panic(values))
});

/// Product ?1, all its columns in the entity's order.
static PRODUCT: Built = Built::new(|| {
    use product::Column;
    sql_of(
        Query::select()
            .columns([Column::Id, Column::Sku, Column::Name, Column::PriceCents, Column::Stock])
            .columns([Column::CreatedAt, Column::UpdatedAt])
            .from(product::Entity)
            .and_where(Expr::col(Column::Id).eq(param(1))),
    )
});
