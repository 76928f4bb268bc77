//! The SeaORM store: every storage port on SQLite (the embedded default) or
//! PostgreSQL (production), from one code base.
//!
//! SQLite runs in WAL mode with `synchronous=FULL` (an acknowledged order survives a
//! power cut), a busy timeout, and write transactions begun `IMMEDIATE` so that
//! concurrent writers queue instead of failing. Stock only ever moves through
//! conditional updates inside transactions: no read-then-write.

mod convert;
mod entities;
mod errors;
mod idempotency;
mod login_attempts;
mod migrations;
mod orders;
mod products;
mod users;

pub use orders::KEY_WAIT;

use crate::store::StoreOptions;
use errors::db_error;
use orders_core::ports::BackendError;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;

/// How long a SQLite writer waits for the write lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Serializes concurrent migrations of one PostgreSQL database (any constant will do).
const MIGRATION_LOCK: i64 = 0x6f72_6465_7273;

/// A SQLite or PostgreSQL store. Clones share one connection pool.
#[derive(Clone)]
pub struct SqlStore {
    db: DatabaseConnection,
}

impl SqlStore {
    /// Connects to `url` (`sqlite:…` or `postgres://…`).
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Self, BackendError> {
        let sqlite = url.starts_with("sqlite:");
        let mut connect = ConnectOptions::new(url);
        connect
            .max_connections(options.max_connections.unwrap_or(if sqlite { 4 } else { 16 }))
            .min_connections(0)
            .acquire_timeout(options.acquire_timeout)
            .connect_timeout(options.acquire_timeout)
            .sqlx_logging(false);
        let statement_timeout = options.statement_timeout.as_millis().to_string();
        connect.map_sqlx_postgres_opts(move |postgres| {
            postgres.options([("statement_timeout", statement_timeout.as_str())])
        });
        if sqlite {
            connect.map_sqlx_sqlite_opts(|sqlite| {
                sqlite
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true)
            });
        }
        let db = Database::connect(connect).await.map_err(db_error)?;
        Ok(Self { db })
    }

    /// Applies pending migrations in one transaction, however long they take; concurrent
    /// callers take turns.
    pub async fn migrate(&self) -> Result<(), BackendError> {
        let txn = self.begin_write().await?;
        if self.is_postgres() {
            txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                .await
                .map_err(db_error)?;
        }
        migrations::Migrator::up(&txn, None).await.map_err(db_error)?;
        txn.commit().await.map_err(db_error)
    }

    /// Whether the database answers now.
    pub async fn ping(&self) -> Result<(), BackendError> {
        self.db.ping().await.map_err(db_error)
    }

    fn is_postgres(&self) -> bool {
        self.db.get_database_backend() == DbBackend::Postgres
    }

    /// A transaction that will write: on SQLite it takes the write lock at once.
    async fn begin_write(&self) -> Result<DatabaseTransaction, BackendError> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        self.db.begin_with_options(options).await.map_err(db_error)
    }
}
