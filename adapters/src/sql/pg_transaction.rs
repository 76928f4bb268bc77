//! A transaction of several statements on one PostgreSQL connection held for its life,
//! on the store's own pools ([`super::direct`], and behind PgBouncer [`super::bounced`]).
//! The connection is the transaction's before `BEGIN` is sent, so that a caller that
//! gives up while it travels still rolls back; a transaction dropped uncommitted is
//! rolled back at once (not when its connection is next used, as sqlx would: meanwhile
//! it would hold its locks), and a connection whose rollback cannot run is closed, which
//! rolls back too.

use super::statement::{exec_error, query_error, statement};
use sea_orm::sqlx::{self, PgConnection};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, ExecResult, QueryResult, Statement};
use tokio::sync::Mutex;

/// A pooled connection a transaction holds.
pub(crate) trait Held: Send + 'static {
    fn conn(&mut self) -> &mut PgConnection;
    /// Closes the connection instead of handing it back.
    fn discard(self);
    /// Its transaction ended: it may be handed out as it is.
    fn settled(&mut self) {}
}

/// A transaction on a held connection, its statements prepared for the connection's
/// life or not (`persistent`).
pub(crate) struct PgTransaction<H: Held> {
    conn: Mutex<Option<H>>,
    persistent: bool,
}

impl<H: Held> PgTransaction<H> {
    /// Begins a transaction on `held` with `begin`.
    pub(crate) async fn begin(held: H, begin: &'static str, persistent: bool) -> Result<Self, DbErr> {
        let transaction = Self { conn: Mutex::new(Some(held)), persistent };
        transaction.with(async |conn| sqlx::raw_sql(begin).execute(conn).await.map_err(exec_error)).await?;
        Ok(transaction)
    }

    /// Commits, and hands the connection back.
    pub(crate) async fn commit(&self) -> Result<(), DbErr> {
        let Some(mut held) = self.conn.lock().await.take() else { return Ok(()) };
        sqlx::raw_sql("COMMIT").execute(held.conn()).await.map_err(exec_error)?;
        held.settled();
        Ok(())
    }

    async fn with<T>(&self, work: impl AsyncFnOnce(&mut PgConnection) -> Result<T, DbErr>) -> Result<T, DbErr> {
        let mut held = self.conn.lock().await;
        let held = held.as_mut().ok_or_else(|| DbErr::Custom("the transaction has ended".to_owned()))?;
        work(held.conn()).await
    }
}

impl<H: Held> Drop for PgTransaction<H> {
    fn drop(&mut self) {
        let Some(mut held) = self.conn.get_mut().take() else { return };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    match sqlx::raw_sql("ROLLBACK").execute(held.conn()).await {
                        Ok(_) => held.settled(),
                        Err(_) => held.discard(),
                    }
                });
            }
            Err(_) => held.discard(),
        }
    }
}

#[async_trait::async_trait]
impl<H: Held> ConnectionTrait for PgTransaction<H> {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Postgres
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let persistent = self.persistent;
        self.with(async |conn| {
            statement(stmt, persistent).execute(conn).await.map(ExecResult::from).map_err(exec_error)
        })
        .await
    }

    async fn execute_unprepared(&self, _sql: &str) -> Result<ExecResult, DbErr> {
        Err(DbErr::Custom("every statement of the store binds its values: no unprepared SQL".to_owned()))
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let persistent = self.persistent;
        self.with(async |conn| {
            let row = statement(stmt, persistent).fetch_optional(conn).await.map_err(query_error)?;
            Ok(row.map(QueryResult::from))
        })
        .await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let persistent = self.persistent;
        self.with(async |conn| {
            let rows = statement(stmt, persistent).fetch_all(conn).await.map_err(query_error)?;
            Ok(rows.into_iter().map(QueryResult::from).collect())
        })
        .await
    }
}
