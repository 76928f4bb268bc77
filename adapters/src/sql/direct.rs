//! PostgreSQL reached directly (no PgBouncer): a pool of the store's own of sqlx
//! connections, each keeping its prepared statements for its life.
//!
//! sqlx's own pool pings every connection as it is handed back, one more round trip to
//! the database for every statement (on the order path, a second round trip per order;
//! docs/benchmarks.md). Here a connection is checked as it is handed out, and only when
//! it needs it: when it idled past [`PING_IF_IDLE_FOR`] (the database may have gone), or
//! when its last statement did not finish (its caller gave up, or it failed): the ping
//! then also reads what is left of that statement's answer, so the next statement
//! starts clean. A connection that fails its check, or breaks, is dropped and replaced.
//! The pool itself is deadpool's.

use super::pg_transaction::{Held, PgTransaction};
use super::statement::{exec_error, query_error, statement};
use crate::store_options::StoreOptions;
use deadpool::managed::{self, Metrics, Object, Pool, PoolError, RecycleResult, Timeouts};
use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::sqlx::{self, ConnectOptions as _, Connection as _, PgConnection};
use sea_orm::{ConnAcquireErr, ConnectionTrait, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr, Statement};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A connection idle this long is pinged before it is handed out; busier ones are
/// not, which saves a round trip per checkout under load. One that died anyway fails
/// its request as unavailable and is not reused.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// The pool of direct connections; cheap to clone.
#[derive(Clone)]
pub(crate) struct Direct {
    pool: Pool<Connector>,
}

/// A transaction on a direct connection.
pub(crate) type DirectTransaction = PgTransaction<Object<Connector>>;

/// Opens and checks the pool's connections.
pub(crate) struct Connector {
    options: PgConnectOptions,
}

/// A pooled connection, and whether its last statement (or transaction) ran to its end.
pub(crate) struct Pooled {
    conn: PgConnection,
    settled: bool,
}

impl managed::Manager for Connector {
    type Type = Pooled;
    type Error = sqlx::Error;

    // Connecting and pinging are boxed: every statement's future holds the pool's
    // checkout, and so, unboxed, these rare futures too (connecting is kilobytes, copied
    // whenever a statement's future is moved or boxed; docs/benchmarks.md).
    async fn create(&self) -> Result<Pooled, sqlx::Error> {
        Ok(Pooled { conn: Box::pin(PgConnection::connect_with(&self.options)).await?, settled: true })
    }

    async fn recycle(&self, pooled: &mut Pooled, metrics: &Metrics) -> RecycleResult<sqlx::Error> {
        if pooled.settled && metrics.last_used() < PING_IF_IDLE_FOR {
            return Ok(());
        }
        Box::pin(pooled.conn.ping()).await?;
        pooled.settled = true;
        Ok(())
    }
}

impl Direct {
    /// A pool of at most `max_connections` connections with `options` (statements
    /// logged nowhere: failures are reported by the store's callers).
    pub(crate) fn new(options: PgConnectOptions, store: &StoreOptions, max_connections: u32) -> Result<Self, DbErr> {
        let options = options.disable_statement_logging();
        let wait = Some(store.acquire_timeout);
        let pool = Pool::builder(Connector { options })
            .max_size(usize::try_from(max_connections).unwrap_or(usize::MAX).max(1))
            .timeouts(Timeouts { wait, create: wait, recycle: wait })
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|error| DbErr::Custom(format!("cannot build the connection pool: {error}")))?;
        Ok(Self { pool })
    }

    /// The connection options, for a connection of its own (migrations).
    pub(crate) fn connect_options(&self) -> &PgConnectOptions {
        &self.pool.manager().options
    }

    /// Connections open, of them idle, and requests waiting for one.
    pub(crate) fn usage(&self) -> (u32, usize, usize) {
        let status = self.pool.status();
        (u32::try_from(status.size).unwrap_or(u32::MAX), status.available, status.waiting)
    }

    /// Whether the database answers now.
    pub(crate) async fn ping(&self) -> Result<(), DbErr> {
        self.run(async |conn| conn.ping().await, exec_error).await
    }

    /// A transaction on a connection of the pool (see [`PgTransaction`]).
    pub(crate) async fn begin(&self) -> Result<DirectTransaction, DbErr> {
        let mut pooled = self.checkout().await?;
        pooled.settled = false;
        PgTransaction::begin(pooled, "BEGIN", true).await
    }

    /// A connection of the pool, its wait timed.
    async fn checkout(&self) -> Result<Object<Connector>, DbErr> {
        let asked = Instant::now();
        let pooled = self.pool.get().await.map_err(pool_error)?;
        metrics::histogram!(ACQUIRE_SECONDS).record(asked.elapsed().as_secs_f64());
        Ok(pooled)
    }

    /// Runs `work` on a pooled connection; a connection that broke is not reused.
    async fn run<T>(
        &self,
        work: impl AsyncFnOnce(&mut PgConnection) -> Result<T, sqlx::Error>,
        error: fn(sqlx::Error) -> DbErr,
    ) -> Result<T, DbErr> {
        let mut pooled = self.checkout().await?;
        pooled.settled = false;
        match work(&mut pooled.conn).await {
            Ok(done) => {
                pooled.settled = true;
                Ok(done)
            }
            Err(failure) => {
                if broken(&failure) {
                    drop(Object::take(pooled));
                }
                Err(error(failure))
            }
        }
    }
}

impl Held for Object<Connector> {
    fn conn(&mut self) -> &mut PgConnection {
        &mut self.conn
    }

    fn discard(self) {
        drop(Object::take(self));
    }

    fn settled(&mut self) {
        self.settled = true;
    }
}

/// The histogram of waits for a database connection (on SQLite, for the writer's
/// turn), for the server's `/metrics`.
pub const ACQUIRE_SECONDS: &str = "orders_db_connection_acquire_seconds";

/// Whether `error` leaves the connection unusable.
fn broken(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_))
}

fn pool_error(error: PoolError<sqlx::Error>) -> DbErr {
    match error {
        PoolError::Timeout(_) => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        PoolError::Backend(error) => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(error))),
        PoolError::Closed | PoolError::NoRuntimeSpecified | PoolError::PostCreateHook(_) => {
            DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed)
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Direct {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Postgres
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let done = self.run(async |conn| statement(stmt, true).execute(conn).await, exec_error).await?;
        Ok(ExecResult::from(done))
    }

    async fn execute_unprepared(&self, _sql: &str) -> Result<ExecResult, DbErr> {
        Err(DbErr::Custom("every statement of the store binds its values: no unprepared SQL".to_owned()))
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let row = self.run(async |conn| statement(stmt, true).fetch_optional(conn).await, query_error).await?;
        Ok(row.map(QueryResult::from))
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let rows = self.run(async |conn| statement(stmt, true).fetch_all(conn).await, query_error).await?;
        Ok(rows.into_iter().map(QueryResult::from).collect())
    }
}
