//! PostgreSQL behind a transaction-pooling PgBouncer (`pgbouncer=true` in the database
//! URL): the next transaction may run on another server connection, so nothing may
//! outlive a transaction. Every statement runs inside one (its caller's, or one of its
//! own) as an unnamed statement (sqlx's `persistent(false)`: nothing named is left on
//! the server for another client to collide with), and the statement timeout is set
//! in each transaction (`SET LOCAL`) instead of at connect time, which PgBouncer 1.18
//! refuses.
//!
//! sqlx parses an unnamed statement in one exchange and binds it in the next; only
//! inside a transaction are both sure to reach the same server connection, which is why
//! even a lone read runs in one here. That costs round trips (begin, parse, bind,
//! commit): the price of the pooler, measured in docs/benchmarks.md.

use super::pg_transaction::{Held, PgTransaction};
use super::statement::exec_error;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::sqlx::{self, PgPool, Postgres};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr, Statement};
use std::sync::Arc;

/// How every transaction begins: with the store's statement timeout
/// ([`StoreOptions::statement_timeout`](crate::StoreOptions)'s default), for it alone.
pub(super) const BEGIN: &str = "BEGIN; SET LOCAL statement_timeout = '5s'";

/// A pool of connections through PgBouncer.
#[derive(Clone)]
pub(crate) struct Bounced {
    pool: PgPool,
    /// How the pool connects, for a connection of its own (migrations).
    connect_options: Arc<PgConnectOptions>,
}

/// A transaction through PgBouncer, on one pooled connection until it ends.
pub(crate) type BouncedTransaction = PgTransaction<PoolConnection<Postgres>>;

impl Held for PoolConnection<Postgres> {
    fn conn(&mut self) -> &mut sqlx::PgConnection {
        self
    }

    fn discard(mut self) {
        self.close_on_drop();
    }
}

fn unprepared() -> DbErr {
    DbErr::Custom("behind PgBouncer every statement binds its values: no unprepared SQL".to_owned())
}

impl Bounced {
    pub(crate) fn new(pool: PgPool, connect_options: PgConnectOptions) -> Self {
        Self { pool, connect_options: Arc::new(connect_options) }
    }

    /// Connections open, and of them idle.
    pub(crate) fn pool_size(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    pub(crate) fn connect_options(&self) -> &PgConnectOptions {
        &self.connect_options
    }

    /// Whether the database answers now (a simple query, which outlives nothing).
    pub(crate) async fn ping(&self) -> Result<(), DbErr> {
        let mut conn = self.pool.acquire().await.map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))))?;
        sqlx::raw_sql("SELECT 1").execute(&mut *conn).await.map(|_| ()).map_err(exec_error)
    }

    /// A transaction on a connection of the pool, begun with [`BEGIN`]. The connection
    /// is the transaction's before `BEGIN` is sent, so that a caller that gives up while
    /// it travels still rolls back (sqlx would hand the connection back to the pool
    /// inside the transaction, where it would keep a PgBouncer server connection
    /// from everyone else).
    pub(crate) async fn begin(&self) -> Result<BouncedTransaction, DbErr> {
        let conn = self.pool.acquire().await.map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))))?;
        PgTransaction::begin(conn, BEGIN, false).await
    }

    /// Runs `work` in a transaction of its own, committed when it succeeds.
    async fn alone<T>(&self, work: impl AsyncFnOnce(&BouncedTransaction) -> Result<T, DbErr>) -> Result<T, DbErr> {
        let transaction = self.begin().await?;
        let done = work(&transaction).await?;
        transaction.commit().await?;
        Ok(done)
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Bounced {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Postgres
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.alone(async |transaction| transaction.execute_raw(stmt).await).await
    }

    async fn execute_unprepared(&self, _sql: &str) -> Result<ExecResult, DbErr> {
        Err(unprepared())
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.alone(async |transaction| transaction.query_one_raw(stmt).await).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.alone(async |transaction| transaction.query_all_raw(stmt).await).await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_transaction_gets_the_stores_default_statement_timeout() {
        let timeout = crate::StoreOptions::default().statement_timeout;
        assert!(super::BEGIN.ends_with(&format!("statement_timeout = '{}s'", timeout.as_secs())), "{}", super::BEGIN);
    }
}
