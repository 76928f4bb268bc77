//! [`EventFeed`] on SQL: the `events` table read in feed order, `(txid, seq)`.
//!
//! Sequence numbers are handed out when rows are written, not when they commit, so on
//! PostgreSQL a row numbered 10 may commit after one numbered 11 has been read: a
//! reader that went on from 11 would never see 10. So the feed is read only up to the
//! oldest transaction still running: a row is returned once its `txid` (the writing
//! transaction's id) is below `pg_snapshot_xmin(pg_current_snapshot())`, the smallest
//! id of a transaction still in progress, taken in the same statement. Every
//! transaction below it has committed or rolled back, and any row written later has a
//! `txid` at least that high, so rows only ever appear after the positions read so far.
//! On SQLite one writer at a time holds the database's write lock until it commits, so
//! `seq` is already commit order and every committed row can be read: there `txid` is
//! always 0 and the feed is read by `seq` alone, the table's row id (migration m0004).
//!
//! The writers: `rows.rs` (the insert every store of SQL uses), [`sqlite`] (the SQLite
//! writer's order units), `postgres/place.sql` and `cancel.sql`, and `products.rs`. On
//! SQLite the feed is read on the writer's connection (`sqlite_feed.rs`), whose page
//! cache holds what was just written, or on the pool while the writer is held up.

pub(super) mod rows;
pub(super) mod sqlite;
mod sqlite_feed;

use super::entities::{event, order, webhook_delivery, webhook_retry};
use super::errors::db_error;
use super::one_of::one_of;
use super::orders::{assemble, with_lines};
use super::{SqlStore, convert};
use async_trait::async_trait;
use orders_core::domain::{FeedEvent, FeedPosition, Order, Timestamp};
use orders_core::ports::{BackendError, EventFeed};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, Order as Direction, QueryFilter, QueryOrder, QuerySelect, Select,
};
use std::collections::HashMap;
use uuid::Uuid;

/// PostgreSQL: the id of the oldest transaction still running, in the statement's own
/// snapshot; rows of older transactions are final.
const OLDEST_RUNNING: &str = "(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint";
/// Events purged per statement.
const PURGE_BATCH: u64 = 1_000;

#[async_trait]
impl EventFeed for SqlStore {
    async fn read(&self, after: Option<FeedPosition>, fetch: u32) -> Result<Vec<FeedEvent>, BackendError> {
        if let Some(writer) = &self.sqlite_writer {
            match writer.read(move |conn| sqlite_feed::read(conn, after, fetch)).await {
                Ok((rows, orders, lines)) => return events_of(rows, assemble(orders, lines)?),
                // The writer is held up (a long write alone, another process's write lock):
                // the pool reads the same committed rows, at the cost of every page.
                Err(BackendError::Unavailable(_)) => {}
                Err(error) => return Err(error),
            }
        }
        let mut query = self.in_feed_order(self.final_events(), Direction::Asc);
        if let Some(after) = after {
            query = query.filter(self.position().gt(self.position_value(after)));
        }
        let rows = query.limit(u64::from(fetch)).all(&self.db).await.map_err(db_error)?;
        self.feed_events(rows).await
    }

    async fn at(&self, positions: &[FeedPosition]) -> Result<Vec<FeedEvent>, BackendError> {
        if positions.is_empty() {
            return Ok(Vec::new());
        }
        let at = event::Entity::find().filter(one_of(
            self.db.get_database_backend(),
            event::Column::Seq,
            positions.iter().map(|at| at.sequence()).collect(),
        ));
        let rows = self.in_feed_order(at, Direction::Asc).all(&self.db).await.map_err(db_error)?;
        self.feed_events(rows).await
    }

    async fn head(&self) -> Result<Option<FeedPosition>, BackendError> {
        let last: Option<(i64, i64)> = self
            .in_feed_order(self.final_events(), Direction::Desc)
            .select_only()
            .column(event::Column::Txid)
            .column(event::Column::Seq)
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(db_error)?;
        Ok(last.map(|(txid, seq)| FeedPosition::new(txid, seq)))
    }

    async fn purge_before(&self, cutoff: Timestamp) -> Result<u64, BackendError> {
        let mut purged = 0;
        loop {
            let _turn = self.write_turn().await?;
            // The newest event is kept, however old: SQLite numbers a new row one past the
            // highest number it holds, and would give a reader's position to another event.
            let newest = Expr::col(event::Column::Seq)
                .lt(Query::select().expr(event::Column::Seq.max()).from(event::Entity).to_owned());
            let oldest: Vec<(i64, Timestamp)> = event::Entity::find()
                .filter(newest)
                .select_only()
                .column(event::Column::Seq)
                .column(event::Column::OccurredAt)
                .order_by_asc(event::Column::Seq)
                .limit(PURGE_BATCH)
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(db_error)?;
            let old: Vec<i64> = oldest.iter().take_while(|(_, at)| *at < cutoff).map(|(seq, _)| *seq).collect();
            let all_old = old.len() == oldest.len();
            if !old.is_empty() {
                let deleted = event::Entity::delete_many()
                    .filter(one_of(self.db.get_database_backend(), event::Column::Seq, old))
                    .exec(&self.db)
                    .await
                    .map_err(db_error)?;
                purged += deleted.rows_affected;
            }
            if !all_old || oldest.len() < PURGE_BATCH as usize {
                break;
            }
        }
        let _turn = self.write_turn().await?;
        webhook_delivery::Entity::delete_many()
            .filter(webhook_delivery::Column::Id.lt(first_uuid_v7_at(cutoff)))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        webhook_retry::Entity::delete_many()
            .filter(webhook_retry::Column::FirstAttemptAtMs.lt(convert::millis(cutoff)))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(purged)
    }
}

impl SqlStore {
    /// The events a reader may be given now: on PostgreSQL, those of transactions older
    /// than every one still running.
    fn final_events(&self) -> Select<event::Entity> {
        let events = event::Entity::find();
        if self.is_postgres() {
            events.filter(Expr::col(event::Column::Txid).lt(Expr::cust(OLDEST_RUNNING)))
        } else {
            events
        }
    }

    /// `rows` as events, with the orders they name (read by id, see [`one_of`]).
    async fn feed_events(&self, rows: Vec<event::Model>) -> Result<Vec<FeedEvent>, BackendError> {
        let ids = rows::order_ids(&rows);
        let orders = match ids.is_empty() {
            true => Vec::new(),
            false => {
                let found = order::Entity::find()
                    .filter(one_of(self.db.get_database_backend(), order::Column::Id, ids))
                    .all(&self.db)
                    .await
                    .map_err(db_error)?;
                with_lines(&self.db, found).await?
            }
        };
        events_of(rows, orders)
    }
}

/// The events `rows` stand for, with the orders they name among `orders`.
fn events_of(rows: Vec<event::Model>, orders: Vec<Order>) -> Result<Vec<FeedEvent>, BackendError> {
    let orders: HashMap<_, _> = orders.into_iter().map(|order| (order.id, order)).collect();
    rows.into_iter().map(|row| rows::feed_event(row, &orders)).collect()
}

impl SqlStore {
    /// A row's feed position: `(txid, seq)`; on SQLite, `seq`.
    fn position(&self) -> SimpleExpr {
        let seq = Expr::col(event::Column::Seq);
        if self.is_postgres() { Expr::tuple([Expr::col(event::Column::Txid), seq]) } else { seq }
    }

    /// `at` as [`SqlStore::position`] compares it.
    fn position_value(&self, at: FeedPosition) -> SimpleExpr {
        let seq = Expr::value(at.sequence());
        if self.is_postgres() { Expr::tuple([Expr::value(at.group()), seq]) } else { seq }
    }

    /// `events` in feed order, or its reverse: by `(txid, seq)`; on SQLite by `seq`.
    fn in_feed_order(&self, events: Select<event::Entity>, order: Direction) -> Select<event::Entity> {
        let events = if self.is_postgres() { events.order_by(event::Column::Txid, order.clone()) } else { events };
        events.order_by(event::Column::Seq, order)
    }
}

/// The smallest UUIDv7 of the millisecond `at`: every id generated before `at` is less.
fn first_uuid_v7_at(at: Timestamp) -> Uuid {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    bytes[6] = 0x70;
    bytes[8] = 0x80;
    Uuid::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::first_uuid_v7_at;
    use super::*;
    use crate::sql::sqlite_test_url;
    use crate::store_options::StoreOptions;
    use chrono::TimeDelta;
    use orders_core::domain::{Price, Product, ProductId, ProductName, Sku, Stock};
    use orders_core::ports::ProductStore;
    use std::time::{Duration, Instant};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_sqlite_the_feed_is_read_on_the_pool_while_the_writer_is_held_up() {
        let dir = tempfile::tempdir().unwrap();
        let url = sqlite_test_url(&dir.path().join("feed.db"));
        // Migrated with the default wait: only the feed's read needs the short one.
        SqlStore::connect(&url, &StoreOptions::default()).await.unwrap().migrate().await.unwrap();
        let options = StoreOptions { acquire_timeout: Duration::from_millis(300), ..StoreOptions::default() };
        let store = SqlStore::connect(&url, &options).await.unwrap();
        let now = chrono::Utc::now();
        let product = Product {
            id: ProductId::generate(),
            sku: Sku::parse("SKU-1").unwrap(),
            name: ProductName::parse("Product 1").unwrap(),
            price: Price::from_cents(250).unwrap(),
            stock: Stock::new(5).unwrap(),
            created_at: now,
            updated_at: now,
        };
        store.insert(&product).await.unwrap();
        let from_the_writer = store.read(None, 10).await.unwrap();
        assert_eq!(from_the_writer.len(), 1);
        let _held = store.write_turn().await.unwrap();
        let started = Instant::now();
        let from_the_pool = store.read(None, 10).await.unwrap();
        assert_eq!(from_the_pool, from_the_writer);
        assert!(started.elapsed() < Duration::from_secs(2), "it took {:?}", started.elapsed());
    }

    #[test]
    fn ids_generated_before_a_time_sort_below_its_first_uuid() {
        let now = chrono::Utc::now();
        let before = uuid::Uuid::now_v7();
        assert!(before < first_uuid_v7_at(now + TimeDelta::milliseconds(2)));
        assert!(first_uuid_v7_at(now - TimeDelta::milliseconds(2)) < before);
    }
}
