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
mod entities;
mod errors;
mod events;
mod idempotency;
mod login_attempts;
mod migrations;
mod orders;
mod pgbouncer;
mod postgres_orders;
mod products;
mod sqlite_columns;
mod sqlite_orders;
mod sqlite_statements;
mod sqlite_writer;
mod terms;
mod users;
mod webhooks;

pub use orders::KEY_WAIT;
pub use postgres_orders::STATEMENTS as POSTGRES_ORDER_STATEMENTS;

use crate::store_options::StoreOptions;
use connection::Db;
use errors::{db_error, sqlx_error};
use orders_core::ports::BackendError;
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
/// How long a SQLite writer waits for the write lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// A PostgreSQL connection idle this long is pinged before it is handed out; busier
/// ones are not, which saves a round trip per checkout under load. A connection that
/// died anyway fails its request as unavailable and is not reused.
const POSTGRES_PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);
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
        let db = if behind_pgbouncer {
            Db::Bounced(pgbouncer::connect(url, options, max_connections).await?)
        } else {
            Db::Orm(Database::connect(connect_options(url, options, max_connections)).await.map_err(db_error)?)
        };
        let sqlite_writer = if sqlite {
            let file = SqliteConnectOptions::from_str(url).map_err(sqlx_error)?.get_filename().to_owned();
            Some(SqliteWriter::start(&file, options.acquire_timeout)?)
        } else {
            None
        };
        Ok(Self { db, sqlite_writer, terms: Arc::default() })
    }

    /// The pool's occupancy now (on SQLite, the readers' pool; the writer is one more).
    pub fn pool_usage(&self) -> crate::store::PoolUsage {
        let (open, idle) = match &self.db {
            Db::Bounced(bounced) => bounced.pool_size(),
            Db::Orm(db) => match db.get_database_backend() {
                sea_orm::DatabaseBackend::Sqlite => {
                    let pool = db.get_sqlite_connection_pool();
                    (pool.size(), pool.num_idle())
                }
                _ => {
                    let pool = db.get_postgres_connection_pool();
                    (pool.size(), pool.num_idle())
                }
            },
        };
        crate::store::PoolUsage { open, idle: u32::try_from(idle).unwrap_or(u32::MAX) }
    }

    /// Applies pending migrations in one transaction, however long they take; concurrent
    /// callers take turns. Behind PgBouncer they run on a connection of their own that
    /// leaves no prepared statement behind.
    pub async fn migrate(&self) -> Result<(), BackendError> {
        let _turn = self.write_turn().await?;
        match &self.db {
            Db::Orm(db) => migrate_on(db, false).await,
            Db::Bounced(bounced) => {
                let db = pgbouncer::one_connection(bounced).await?;
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

/// How to connect to `url`, with at most `max_connections` connections.
fn connect_options(url: &str, options: &StoreOptions, max_connections: u32) -> ConnectOptions {
    let sqlite = url.starts_with("sqlite:");
    let mut connect = ConnectOptions::new(url);
    connect
        .max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(options.acquire_timeout)
        .connect_timeout(options.acquire_timeout)
        .sqlx_logging(false);
    if sqlite {
        connect.test_before_acquire(false);
    } else {
        connect.test_before_acquire_if_idle_for(POSTGRES_PING_IF_IDLE_FOR);
    }
    let statement_timeout = options.statement_timeout.as_millis().to_string();
    connect
        .map_sqlx_postgres_opts(move |postgres| postgres.options([("statement_timeout", statement_timeout.as_str())]));
    if sqlite {
        connect.map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
        });
    }
    connect
}
