//! [`OrderStore`] on SQL. Orders are decided on terms kept in [`super::terms`] (read
//! once when missing); placing and cancelling run as one statement on PostgreSQL
//! ([`super::postgres_orders`]) and as one unit on SQLite's writer
//! ([`super::sqlite_orders`]), which check those terms again and take the stock.

use super::entities::{order, order_line, product, user};
use super::errors::db_error;
use super::{SqlStore, convert, postgres_orders, sqlite_orders};
use async_trait::async_trait;
use orders_core::domain::{Order, OrderContext, OrderId, ProductId, Tier, Timestamp, UserId};
use orders_core::ports::{BackendError, KeyClaim, OrderStore, Placement};
use sea_orm::sea_query::{Expr, ExprTrait, PgFunc, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// How long a request waits for another that holds its idempotency key before the key
/// is reported in use.
pub const KEY_WAIT: Duration = Duration::from_secs(2);

#[async_trait]
impl OrderStore for SqlStore {
    #[tracing::instrument(level = "debug", name = "OrderStore::context", skip_all)]
    async fn context(&self, customer: UserId, products: &[ProductId]) -> Result<OrderContext, BackendError> {
        if let Some(known) = self.terms.context(customer, products) {
            return Ok(known);
        }
        let tier = user::Entity::find_by_id(customer.as_uuid()).one(&self.db).await.map_err(db_error)?;
        let rows = product::Entity::find()
            .filter(product::Column::Id.is_in(products.iter().map(|id| id.as_uuid())))
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let products = rows
            .into_iter()
            .map(|row| convert::product_state(row.id, &row.sku, &row.name, row.price_cents, Some(row.stock)))
            .collect::<Result<_, _>>()?;
        let known = OrderContext { tier: tier.map(|row| convert::tier(&row.tier)).transpose()?, products };
        self.terms.keep(customer, &known);
        Ok(known)
    }

    #[tracing::instrument(level = "debug", name = "OrderStore::place", skip_all)]
    async fn place<'a>(
        &self,
        order: &Order,
        tier: Tier,
        claim: Option<&'a KeyClaim>,
    ) -> Result<Placement, BackendError> {
        let placement = match &self.sqlite_writer {
            Some(writer) => sqlite_orders::place(writer, order, tier, claim).await?,
            None => postgres_orders::place(&self.db, order, tier, claim).await?,
        };
        if let Placement::Stale(now) = &placement {
            self.terms.keep(order.user_id, now);
        }
        Ok(placement)
    }

    #[tracing::instrument(level = "debug", name = "OrderStore::cancel", skip_all)]
    async fn cancel(&self, order: &Order, at: Timestamp) -> Result<bool, BackendError> {
        match &self.sqlite_writer {
            Some(writer) => sqlite_orders::cancel(writer, order, at).await,
            None => postgres_orders::cancel(&self.db, order, at).await,
        }
    }

    #[tracing::instrument(level = "debug", name = "OrderStore::by_id", skip_all)]
    async fn by_id(&self, id: OrderId) -> Result<Option<Order>, BackendError> {
        let Some(row) = order::Entity::find_by_id(id.as_uuid()).one(&self.db).await.map_err(db_error)? else {
            return Ok(None);
        };
        let lines = order_line::Entity::find()
            .filter(order_line::Column::OrderId.eq(id.as_uuid()))
            .order_by_asc(order_line::Column::LineNo)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        convert::order(row, lines).map(Some)
    }

    #[tracing::instrument(level = "debug", name = "OrderStore::list", skip_all)]
    async fn list(
        &self,
        user: Option<UserId>,
        before: Option<OrderId>,
        fetch: u32,
    ) -> Result<Vec<Order>, BackendError> {
        let mut query = order::Entity::find().limit(u64::from(fetch));
        match (user, before) {
            (Some(user), before) if self.is_postgres() => {
                // One customer's orders, in the order of the (user_id, id) index and bounded
                // in its terms, so that PostgreSQL walks that index from the cursor on. With
                // `user_id = $1 … ORDER BY id` it may walk the primary key instead, past
                // everyone else's newer orders, many times slower for a customer with most
                // of the orders (measured in docs/benchmarks.md).
                let user = user.as_uuid();
                query = query.filter(order::Column::UserId.gte(user));
                query = match before {
                    Some(before) => query.filter(
                        Expr::tuple([Expr::col(order::Column::UserId), Expr::col(order::Column::Id)])
                            .lt(Expr::tuple([Expr::value(user), Expr::value(before.as_uuid())])),
                    ),
                    None => query.filter(order::Column::UserId.lte(user)),
                };
                query = query.order_by_desc(order::Column::UserId).order_by_desc(order::Column::Id);
            }
            (user, before) => {
                if let Some(user) = user {
                    query = query.filter(order::Column::UserId.eq(user.as_uuid()));
                }
                if let Some(before) = before {
                    query = query.filter(order::Column::Id.lt(before.as_uuid()));
                }
                query = query.order_by_desc(order::Column::Id);
            }
        }
        let rows = query.all(&self.db).await.map_err(db_error)?;
        with_lines(&self.db, rows).await
    }
}

/// The orders of `rows`, in their order, each with its lines (read in one query).
pub(super) async fn with_lines(db: &impl ConnectionTrait, rows: Vec<order::Model>) -> Result<Vec<Order>, BackendError> {
    let lines = match rows.is_empty() {
        true => Vec::new(),
        false => order_line::Entity::find()
            .filter(one_of(
                db.get_database_backend(),
                order_line::Column::OrderId,
                rows.iter().map(|row| row.id).collect(),
            ))
            .order_by_asc(order_line::Column::OrderId)
            .order_by_asc(order_line::Column::LineNo)
            .all(db)
            .await
            .map_err(db_error)?,
    };
    assemble(rows, lines)
}

/// `column` is one of `ids`. On PostgreSQL `= ANY($1)` with the ids as one array: one
/// statement text whatever their number, so one prepared statement on a direct
/// connection where lists made one per length. Elsewhere `IN (...)`.
pub(super) fn one_of(backend: DbBackend, column: impl ColumnTrait, ids: Vec<Uuid>) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::col((column.entity_name(), column)).eq(PgFunc::any(Expr::val(ids))),
        _ => column.is_in(ids),
    }
}

/// The orders of `rows`, in their order, each with its lines of `lines` (in line order;
/// lines of other orders are left out).
pub(super) fn assemble(rows: Vec<order::Model>, lines: Vec<order_line::Model>) -> Result<Vec<Order>, BackendError> {
    let mut by_order: HashMap<Uuid, Vec<order_line::Model>> = HashMap::with_capacity(rows.len());
    for line in lines {
        by_order.entry(line.order_id).or_default().push(line);
    }
    rows.into_iter()
        .map(|row| {
            let order_lines = by_order.remove(&row.id).unwrap_or_default();
            convert::order(row, order_lines)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::QueryTrait;

    #[test]
    fn on_postgres_ids_are_one_array_parameter_whatever_their_number() {
        for count in [1, 3, 200] {
            let ids = (0..count).map(|_| Uuid::now_v7()).collect();
            let built = order::Entity::find()
                .filter(one_of(DbBackend::Postgres, order::Column::Id, ids))
                .build(DbBackend::Postgres);
            assert!(built.sql.ends_with(r#"WHERE "orders"."id" = ANY($1)"#), "{}", built.sql);
            assert_eq!(built.values.map(|values| values.0.len()), Some(1));
        }
        let listed = order::Entity::find()
            .filter(one_of(DbBackend::Sqlite, order::Column::Id, vec![Uuid::now_v7(), Uuid::now_v7()]))
            .build(DbBackend::Sqlite);
        assert!(listed.sql.ends_with(r#"WHERE "orders"."id" IN (?, ?)"#), "{}", listed.sql);
    }
}
