//! The SeaORM store: every storage port on SQLite (the embedded default) or
//! PostgreSQL (production), from one code base.
//!
//! SQLite runs in WAL mode with `synchronous=FULL` (an acknowledged order survives a
//! power cut), a busy timeout, and write transactions begun `IMMEDIATE` so that
//! concurrent writers queue instead of failing; within one process, orders are written
//! by one writer thread with group commit ([`sqlite_writer`]), and other writes take
//! turns with it. Stock only moves inside a transaction that holds the product's row
//! (PostgreSQL: locked `FOR UPDATE` and checked in the same statement; SQLite: the
//! write lock and a conditional update), so it never goes below zero.

mod bounced;
mod connection;
mod convert;
mod direct;
mod entities;
mod errors;
mod events;
mod idempotency;
mod login_attempts;
mod migrations;
mod one_of;
mod orders;
mod pg_transaction;
mod pgbouncer;
mod postgres_orders;
mod products;
mod retry;
mod sqlite_checkpoint;
mod sqlite_columns;
mod sqlite_orders;
mod sqlite_statements;
mod sqlite_writer;
mod statement;
mod terms;
mod users;
mod webhooks;

pub use direct::ACQUIRE_SECONDS as POOL_ACQUIRE_SECONDS;
pub use orders::KEY_WAIT;
pub use postgres_orders::STATEMENTS as POSTGRES_ORDER_STATEMENTS;
pub use webhooks::RECORD_ATTEMPTS as POSTGRES_RECORD_ATTEMPTS;

use crate::store_options::StoreOptions;
use connection::{Db, Link};
use direct::Direct;
use errors::{db_error, sqlx_error};
use orders_core::ports::BackendError;
use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use sqlite_writer::{AloneTurn, SqliteWriter};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use terms::Terms;

/// Default size of the SQLite pool (readers, and writes outside units of work); units
/// of work write on the writer's own connection.
const SQLITE_READERS: u32 = 4;
/// Default size of the PostgreSQL pool. Connections well beyond the database's cores
/// only add context switches (measured in docs/benchmarks.md).
const POSTGRES_CONNECTIONS: u32 = 8;
/// The page size of a SQLite database this store creates (one that exists keeps its
/// own). With WAL, every commit writes each page it changed whole, and an order changes
/// pages all over the file (its products' rows, its customer's place in the orders'
/// index): 2 KiB pages write half the bytes of SQLite's default 4 KiB for the same
/// rows. Measured in docs/adr/0001.
const SQLITE_PAGE_SIZE: u32 = 2048;
/// Frames the SQLite WAL holds before they are copied back into the database (SQLite's
/// default is 1,000; the writer's are copied beside it, [`sqlite_checkpoint`]). A
/// checkpoint writes each page once however often the WAL holds it, and orders rewrite
/// the same pages (their products', the indexes' ends) over and over: at 32,000 frames
/// (64 MiB with 2 KiB pages) checkpoints copied about 0.4 pages per order where ones
/// copying every commit's frames copied 2.5, and the server placed 18,242 orders/s at 32
/// connections, at 56 µs of server CPU per order (docs/benchmarks.md). The WAL file
/// grows a little past that size (to four times it while readers keep it from starting
/// over) and keeps its size on disk; a start after a crash reads it whole.
const SQLITE_CHECKPOINT_PAGES: u32 = 32_000;
/// How long a SQLite writer waits for the write lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Serializes concurrent migrations of one PostgreSQL database (any constant will do).
const MIGRATION_LOCK: i64 = 0x6f72_6465_7273;

/// A SQLite or PostgreSQL store. Clones share one connection pool.
#[derive(Clone)]
pub struct SqlStore {
    db: Db,
    /// SQLite: this process's one writer (see [`sqlite_writer`]); `None` on PostgreSQL,
    /// where row locks let many writers work at once.
    sqlite_writer: Option<SqliteWriter>,
    /// The terms orders are decided on, as last read.
    terms: Arc<Terms>,
}

impl SqlStore {
    /// Connects to `url` (`sqlite:…` or `postgres://…`; with `pgbouncer=true` among a
    /// PostgreSQL URL's parameters, to a transaction-pooling PgBouncer).
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Self, BackendError> {
        let sqlite = url.starts_with("sqlite:");
        let max_connections =
            options.max_connections.unwrap_or(if sqlite { SQLITE_READERS } else { POSTGRES_CONNECTIONS });
        let (url, behind_pgbouncer) = pgbouncer::strip(url).map_err(BackendError::failed)?;
        let url = url.as_str();
        let link = if behind_pgbouncer {
            Link::Bounced(pgbouncer::connect(url, options, max_connections).await?)
        } else if sqlite {
            Link::Orm(Database::connect(sqlite_options(url, options, max_connections)).await.map_err(db_error)?)
        } else {
            let direct = Direct::new(postgres_options(url, options)?, options, max_connections).map_err(db_error)?;
            direct.ping().await.map_err(db_error)?;
            Link::Direct(direct)
        };
        let db = Db::new(link, options.acquire_timeout);
        let sqlite_writer = if sqlite {
            let file = SqliteConnectOptions::from_str(url).map_err(sqlx_error)?.get_filename().to_owned();
            Some(SqliteWriter::start(&file, options.acquire_timeout)?)
        } else {
            None
        };
        Ok(Self { db, sqlite_writer, terms: Arc::default() })
    }

    /// The pool's occupancy now (on SQLite, the readers' pool, and the units waiting for
    /// the writer, which is one more connection).
    pub fn pool_usage(&self) -> crate::store::PoolUsage {
        let (open, idle, waiting) = match self.db.link() {
            Link::Bounced(bounced) => {
                let (open, idle) = bounced.pool_size();
                (open, idle, None)
            }
            Link::Direct(direct) => {
                let (open, idle, waiting) = direct.usage();
                (open, idle, Some(waiting))
            }
            Link::Orm(db) => {
                let pool = db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle(), self.sqlite_writer.as_ref().map(SqliteWriter::queued))
            }
        };
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        crate::store::PoolUsage { open, idle: count(idle), waiting: waiting.map(count) }
    }

    /// Applies pending migrations in one transaction, however long they take; concurrent
    /// callers take turns. Behind PgBouncer they run on a connection of their own that
    /// leaves no prepared statement behind.
    pub async fn migrate(&self) -> Result<(), BackendError> {
        let _turn = self.write_turn().await?;
        match self.db.link() {
            Link::Orm(db) => migrate_on(db, false).await,
            Link::Direct(direct) => {
                let db = one_connection(direct.connect_options().clone()).await?;
                let migrated = migrate_on(&db, false).await;
                let _ = db.close().await;
                migrated
            }
            Link::Bounced(bounced) => {
                let db = one_connection(bounced.connect_options().clone().statement_cache_capacity(0)).await?;
                let migrated = migrate_on(&db, true).await;
                let _ = db.close().await;
                migrated
            }
        }
    }

    /// Whether the database answers now.
    pub async fn ping(&self) -> Result<(), BackendError> {
        self.db.ping().await.map_err(db_error)
    }

    fn is_postgres(&self) -> bool {
        self.db.get_database_backend() == DbBackend::Postgres
    }

    /// SQLite: exclusive use of the write lock within this process, for a write outside
    /// units of work, until the turn is dropped. `None` on PostgreSQL.
    async fn write_turn(&self) -> Result<Option<AloneTurn>, BackendError> {
        match &self.sqlite_writer {
            Some(writer) => writer.alone().await.map(Some),
            None => Ok(None),
        }
    }
}

/// Applies pending migrations on `db` in one transaction (begun to write at once on
/// SQLite; serialized with other servers' by an advisory lock on PostgreSQL). With
/// `deallocate`, it drops every prepared statement before it commits, so that none
/// outlives it on a pooled server connection.
async fn migrate_on(db: &DatabaseConnection, deallocate: bool) -> Result<(), BackendError> {
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    let txn = db.begin_with_options(options).await.map_err(db_error)?;
    if db.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")).await.map_err(db_error)?;
    }
    migrations::Migrator::up(&txn, None).await.map_err(db_error)?;
    if deallocate {
        txn.execute_unprepared("DEALLOCATE ALL").await.map_err(db_error)?;
    }
    txn.commit().await.map_err(db_error)
}

/// A SeaORM connection of one PostgreSQL connection of its own, for migrations, which
/// need a transaction on one connection.
async fn one_connection(options: PgConnectOptions) -> Result<DatabaseConnection, BackendError> {
    let pool = sea_orm::sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(sqlx_error)?;
    Ok(sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
}

/// How to connect to PostgreSQL at `url` directly: every session with the store's
/// statement timeout.
fn postgres_options(url: &str, options: &StoreOptions) -> Result<PgConnectOptions, BackendError> {
    let statement_timeout = options.statement_timeout.as_millis().to_string();
    let connect = PgConnectOptions::from_str(url).map_err(sqlx_error)?;
    Ok(connect.options([("statement_timeout", statement_timeout.as_str())]))
}

/// How to connect to SQLite at `url`, with at most `max_connections` connections.
fn sqlite_options(url: &str, options: &StoreOptions, max_connections: u32) -> ConnectOptions {
    let mut connect = ConnectOptions::new(url);
    connect
        .max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(options.acquire_timeout)
        .connect_timeout(options.acquire_timeout)
        .test_before_acquire(false)
        .sqlx_logging(false);
    connect.map_sqlx_sqlite_opts(|sqlite| {
        sqlite
            .page_size(SQLITE_PAGE_SIZE)
            .pragma("wal_autocheckpoint", SQLITE_CHECKPOINT_PAGES.to_string())
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            .foreign_keys(true)
    });
    connect
}

/// The URL of a SQLite database at `file`, created if missing, for the adapters' tests.
#[cfg(test)]
fn sqlite_test_url(file: &std::path::Path) -> String {
    ["sqlite://", &file.display().to_string(), "?mode=rwc"].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sqlite_database_the_store_creates_has_its_page_size_and_wal() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("new.db");
        let store = SqlStore::connect(&sqlite_test_url(&file), &StoreOptions::default()).await.unwrap();
        store.migrate().await.unwrap();
        let conn = rusqlite::Connection::open(&file).unwrap();
        let page_size: u32 = conn.query_row("PRAGMA page_size", [], |row| row.get(0)).unwrap();
        let journal_mode: String = conn.query_row("PRAGMA journal_mode", [], |row| row.get(0)).unwrap();
        assert_eq!((page_size, journal_mode.as_str()), (SQLITE_PAGE_SIZE, "wal"));
    }
}
