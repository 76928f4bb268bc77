//! The feed read on the SQLite writer's connection ([`SqliteWriter::read`]), whose page
//! cache holds the pages the latest batches wrote: a page of events, and the orders and
//! lines those events name, as rows of their entities. Its statements are [`Built`] once.
//!
//! [`SqliteWriter::read`]: crate::sql::sqlite_writer::SqliteWriter::read

use crate::sql::entities::{event, order, order_line};
use crate::sql::sqlite_columns::{FromSqliteRow, optional_time_column, optional_uuid_column, time_column};
use crate::sql::sqlite_statements::{Built, column, param, query_built, query_built_first, sql_of, uuid_column};
use orders_core::domain::FeedPosition;
use orders_core::ports::BackendError;
use rusqlite::{Connection, Row, params};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{Iterable, Order};

/// Events, and the orders they name with those orders' lines.
pub(super) type FeedRows = (Vec<event::Model>, Vec<order::Model>, Vec<order_line::Model>);

/// At most `fetch` events after `after` (from the oldest without), and the orders and
/// lines they name.
pub(super) fn read(conn: &Connection, after: Option<FeedPosition>, fetch: u32) -> Result<FeedRows, BackendError> {
    let after = after.map_or(i64::MIN, |at| at.sequence());
    let fetch = usize::try_from(fetch).unwrap_or(usize::MAX);
    let events = query_built_first(conn, &EVENTS_AFTER, params![after], fetch, event::Model::from_sqlite)?;
    let (Some(first), Some(last)) = (events.first(), events.last()) else {
        return Ok((events, Vec::new(), Vec::new()));
    };
    if events.iter().all(|event| event.order_id.is_none()) {
        return Ok((events, Vec::new(), Vec::new()));
    }
    let span = params![first.seq, last.seq];
    let orders = query_built(conn, &ORDERS_IN_SPAN, span, order::Model::from_sqlite)?;
    let lines = query_built(conn, &LINES_IN_SPAN, span, order_line::Model::from_sqlite)?;
    Ok((events, orders, lines))
}

/// Events after position ?1, oldest first.
static EVENTS_AFTER: Built = Built::new(|| {
    use event::Column;
    sql_of(
        Query::select()
            .columns(Column::iter())
            .from(event::Entity)
            .and_where(Expr::col(Column::Seq).gt(param(1)))
            .order_by(Column::Seq, Order::Asc),
    )
});

/// The orders named by the events at positions ?1 to ?2.
static ORDERS_IN_SPAN: Built = Built::new(|| {
    use order::Column;
    sql_of(
        Query::select()
            .columns(Column::iter())
            .from(order::Entity)
            .and_where(Expr::col(Column::Id).in_subquery(named_in_span())),
    )
});

/// The lines of the orders named by the events at positions ?1 to ?2, in line order.
static LINES_IN_SPAN: Built = Built::new(|| {
    use order_line::Column;
    sql_of(
        Query::select()
            .columns(Column::iter())
            .from(order_line::Entity)
            .and_where(Expr::col(Column::OrderId).in_subquery(named_in_span()))
            .order_by(Column::OrderId, Order::Asc)
            .order_by(Column::LineNo, Order::Asc),
    )
});

/// The orders the events at positions ?1 to ?2 name.
fn named_in_span() -> SelectStatement {
    use event::Column;
    Query::select()
        .column(Column::OrderId)
        .from(event::Entity)
        .and_where(Expr::col(Column::Seq).gte(param(1)))
        .and_where(Expr::col(Column::Seq).lte(param(2)))
        .to_owned()
}

impl FromSqliteRow for event::Model {
    fn from_sqlite(row: &Row<'_>) -> Result<Self, BackendError> {
        Ok(Self {
            seq: column(row, 0)?,
            txid: column(row, 1)?,
            id: uuid_column(row, 2)?,
            event_type: column(row, 3)?,
            occurred_at: time_column(row, 4)?,
            order_id: optional_uuid_column(row, 5)?,
            product_id: optional_uuid_column(row, 6)?,
            product_sku: column(row, 7)?,
            product_name: column(row, 8)?,
            product_price_cents: column(row, 9)?,
            product_stock: column(row, 10)?,
            product_created_at: optional_time_column(row, 11)?,
            product_updated_at: optional_time_column(row, 12)?,
        })
    }
}

impl FromSqliteRow for order::Model {
    fn from_sqlite(row: &Row<'_>) -> Result<Self, BackendError> {
        Ok(Self {
            id: uuid_column(row, 0)?,
            user_id: uuid_column(row, 1)?,
            status: column(row, 2)?,
            currency: column(row, 3)?,
            subtotal_cents: column(row, 4)?,
            discount_cents: column(row, 5)?,
            total_cents: column(row, 6)?,
            created_at: time_column(row, 7)?,
            cancelled_at: optional_time_column(row, 8)?,
        })
    }
}

impl FromSqliteRow for order_line::Model {
    fn from_sqlite(row: &Row<'_>) -> Result<Self, BackendError> {
        Ok(Self {
            order_id: uuid_column(row, 0)?,
            line_no: column(row, 1)?,
            product_id: uuid_column(row, 2)?,
            sku: column(row, 3)?,
            name: column(row, 4)?,
            quantity: column(row, 5)?,
            unit_price_cents: column(row, 6)?,
            line_total_cents: column(row, 7)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feed_reads_every_column_of_its_entities_in_their_order_with_values_bound() {
        assert!(
            EVENTS_AFTER.sql().starts_with(r#"SELECT "seq", "txid", "id", "event_type""#),
            "{}",
            EVENTS_AFTER.sql()
        );
        assert!(EVENTS_AFTER.sql().ends_with(r#"WHERE "seq" > (?1) ORDER BY "seq" ASC"#), "{}", EVENTS_AFTER.sql());
        assert_eq!(event::Column::iter().count(), 13);
        assert_eq!(order::Column::iter().count(), 9);
        assert_eq!(order_line::Column::iter().count(), 8);
        for built in [&ORDERS_IN_SPAN, &LINES_IN_SPAN] {
            assert!(built.sql().contains(r#"WHERE "seq" >= (?1) AND "seq" <= (?2)"#), "{}", built.sql());
        }
    }
}
