//! [`OrderStore`] on SQL, and its unit of work: one database transaction in which
//! stock moves only through conditional `UPDATE`s.

use super::SqlStore;
use super::convert;
use super::entities::{idempotency_key, order, order_line};
use super::errors::{POSTGRES_LOCK_TIMEOUT, database_code, db_error, sqlx_error};
use super::postgres_orders::PostgresTx;
use super::sqlite_orders::SqliteTx;
use async_trait::async_trait;
use orders_core::domain::{Order, OrderId, UserId};
use orders_core::ports::{BackendError, Claim, KeyClaim, OrderStore, OrderTx};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TryInsertResult,
};
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// How long a request waits for another that holds its idempotency key before the key
/// is reported in use.
pub const KEY_WAIT: Duration = Duration::from_secs(2);

#[async_trait]
impl OrderStore for SqlStore {
    async fn begin(&self) -> Result<Box<dyn OrderTx>, BackendError> {
        if let Some(writer) = &self.sqlite_writer {
            return Ok(Box::new(SqliteTx::new(writer.unit_turn().await?, self.db.clone())));
        }
        let conn = self.db.get_postgres_connection_pool().acquire().await.map_err(sqlx_error)?;
        Ok(Box::new(PostgresTx::new(conn)))
    }

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
        let mut lines: HashMap<Uuid, Vec<order_line::Model>> = HashMap::with_capacity(rows.len());
        if !rows.is_empty() {
            for line in order_line::Entity::find()
                .filter(order_line::Column::OrderId.is_in(rows.iter().map(|row| row.id)))
                .order_by_asc(order_line::Column::OrderId)
                .order_by_asc(order_line::Column::LineNo)
                .all(&self.db)
                .await
                .map_err(db_error)?
            {
                lines.entry(line.order_id).or_default().push(line);
            }
        }
        rows.into_iter()
            .map(|row| {
                let order_lines = lines.remove(&row.id).unwrap_or_default();
                convert::order(row, order_lines)
            })
            .collect()
    }
}

/// Inserts `row` under `claim`'s key unless the key exists; then reads what is there.
/// On PostgreSQL, while another transaction holds the key uncommitted the insert waits
/// for its outcome, up to [`KEY_WAIT`]; after that the key is reported in use.
pub(super) async fn claim_key(
    conn: &impl ConnectionTrait,
    claim: &KeyClaim,
    row: idempotency_key::ActiveModel,
) -> Result<Claim, BackendError> {
    let postgres = conn.get_database_backend() == DbBackend::Postgres;
    if postgres {
        conn.execute_unprepared(&format!("SET LOCAL lock_timeout = '{}ms'", KEY_WAIT.as_millis()))
            .await
            .map_err(db_error)?;
    }
    let inserted = idempotency_key::Entity::insert(row)
        .on_conflict_do_nothing_on([idempotency_key::Column::UserId, idempotency_key::Column::Key])
        .exec_without_returning(conn)
        .await;
    let inserted = match inserted {
        Err(error) if database_code(&error).as_deref() == Some(POSTGRES_LOCK_TIMEOUT) => return Ok(Claim::InUse),
        other => other.map_err(db_error)?,
    };
    if postgres {
        conn.execute_unprepared("SET LOCAL lock_timeout TO DEFAULT").await.map_err(db_error)?;
    }
    if matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        return Ok(Claim::Claimed);
    }
    recorded_claim(conn, claim).await
}

/// What is recorded under `claim`'s key, which a unit's insert found taken (and
/// committed, so any connection can read it).
pub(super) async fn recorded_claim(conn: &impl ConnectionTrait, claim: &KeyClaim) -> Result<Claim, BackendError> {
    let existing = idempotency_key::Entity::find_by_id((claim.user.as_uuid(), claim.key.as_str().to_owned()))
        .one(conn)
        .await
        .map_err(db_error)?;
    existing_claim(existing)
}

/// The claim a unit's insert found taken, from the row read under its key.
pub(super) fn existing_claim(row: Option<idempotency_key::Model>) -> Result<Claim, BackendError> {
    let row = row.ok_or_else(|| BackendError::failed("an idempotency key conflicted but cannot be read"))?;
    Ok(Claim::Existing(convert::idempotency_record(row)?))
}
