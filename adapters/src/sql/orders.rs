//! [`OrderStore`] on SQL. Orders are decided on terms kept in [`super::terms`] (read
//! once when missing); placing and cancelling run as one statement on PostgreSQL
//! ([`super::postgres_orders`]) and as one unit on SQLite's writer
//! ([`super::sqlite_orders`]), which check those terms again and take the stock.

use super::entities::{order, order_line, product, user};
use super::errors::db_error;
use super::one_of::one_of;
use super::{SqlStore, convert, postgres_orders, sqlite_orders};
use async_trait::async_trait;
use orders_core::domain::{Order, OrderContext, OrderId, ProductId, Tier, Timestamp, UserId};
use orders_core::ports::{BackendError, KeyClaim, OrderStore, Placement};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
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
            .filter(one_of(
                self.db.get_database_backend(),
                product::Column::Id,
                products.iter().map(|id| id.as_uuid()).collect(),
            ))
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
