//! The store's connection to its database: SeaORM's own pool on SQLite; on PostgreSQL
//! reached directly, a pool of the store's own whose connections keep their prepared
//! statements ([`super::direct`]); behind a transaction-pooling PgBouncer, one that
//! keeps nothing beyond a transaction ([`super::bounced`]). Every query of the store
//! goes through [`Db`], so it runs on any of them unchanged, and each is run again when
//! it certainly did nothing: PostgreSQL aborted it to serialize transactions, or no
//! connection could be made for it ([`super::retry`]). So do transactions of several
//! statements ([`Txn`]), which their callers run again if they must.

use super::bounced::{Bounced, BouncedTransaction};
use super::direct::{Direct, DirectTransaction};
use super::retry::{RetryTurn, again_if_nothing_done};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use std::time::Duration;

/// The store's connections, how long a statement may wait for one to be made, and the
/// turn of the statements that run again after an abort.
#[derive(Clone)]
pub(crate) struct Db {
    link: Link,
    connect_wait: Duration,
    retry_turn: RetryTurn,
}

/// Where the statements go.
#[derive(Clone)]
pub(crate) enum Link {
    /// SQLite, through SeaORM's pool.
    Orm(DatabaseConnection),
    /// PostgreSQL reached directly.
    Direct(Direct),
    /// PostgreSQL behind a transaction-pooling PgBouncer.
    Bounced(Bounced),
}

impl Db {
    /// Statements on `link`, each waiting at most `connect_wait` for a connection that
    /// cannot be made now (the pool's acquire timeout: a database that refuses or drops
    /// connections, as one behind a proxy does while it fails over, counts like one with
    /// no free connection).
    pub(crate) fn new(link: Link, connect_wait: Duration) -> Self {
        Self { link, connect_wait, retry_turn: RetryTurn::default() }
    }

    pub(crate) fn link(&self) -> &Link {
        &self.link
    }

    /// A transaction of several statements, on any connection (begun to write at once on
    /// SQLite: `BEGIN IMMEDIATE`). Dropped uncommitted, it rolls back.
    pub(crate) async fn begin(&self) -> Result<Txn, DbErr> {
        match &self.link {
            Link::Orm(db) => {
                let options = TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..Default::default()
                };
                db.begin_with_options(options).await.map(Txn::Orm)
            }
            Link::Direct(direct) => direct.begin().await.map(Txn::Direct),
            Link::Bounced(bounced) => bounced.begin().await.map(Txn::Bounced),
        }
    }

    /// `work`'s answer, run in a transaction of its own that is then committed; the whole
    /// transaction runs again when it certainly did nothing, as a lone statement does
    /// ([`again_if_nothing_done`]).
    pub(crate) async fn transaction<T: Send>(
        &self,
        work: impl for<'t> Fn(&'t Txn) -> TxnWork<'t, T> + Send + Sync,
    ) -> Result<T, DbErr> {
        let work = &work;
        again_if_nothing_done(&self.retry_turn, self.connect_wait, move || async move {
            let txn = self.begin().await?;
            let done = work(&txn).await?;
            txn.commit().await?;
            Ok(done)
        })
        .await
    }

    /// Whether the database answers now.
    pub(crate) async fn ping(&self) -> Result<(), DbErr> {
        match &self.link {
            Link::Orm(db) => db.ping().await,
            Link::Direct(direct) => direct.ping().await,
            Link::Bounced(bounced) => bounced.ping().await,
        }
    }

    async fn execute_once(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match &self.link {
            Link::Orm(db) => db.execute_raw(stmt).await,
            Link::Direct(direct) => direct.execute_raw(stmt).await,
            Link::Bounced(bounced) => bounced.execute_raw(stmt).await,
        }
    }

    async fn execute_unprepared_once(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match &self.link {
            Link::Orm(db) => db.execute_unprepared(sql).await,
            Link::Direct(direct) => direct.execute_unprepared(sql).await,
            Link::Bounced(bounced) => bounced.execute_unprepared(sql).await,
        }
    }

    async fn query_one_once(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match &self.link {
            Link::Orm(db) => db.query_one_raw(stmt).await,
            Link::Direct(direct) => direct.query_one_raw(stmt).await,
            Link::Bounced(bounced) => bounced.query_one_raw(stmt).await,
        }
    }

    async fn query_all_once(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match &self.link {
            Link::Orm(db) => db.query_all_raw(stmt).await,
            Link::Direct(direct) => direct.query_all_raw(stmt).await,
            Link::Bounced(bounced) => bounced.query_all_raw(stmt).await,
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        match &self.link {
            Link::Orm(db) => db.get_database_backend(),
            Link::Direct(direct) => direct.get_database_backend(),
            Link::Bounced(bounced) => bounced.get_database_backend(),
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        again_if_nothing_done(&self.retry_turn, self.connect_wait, || self.execute_once(stmt.clone())).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        again_if_nothing_done(&self.retry_turn, self.connect_wait, || self.execute_unprepared_once(sql)).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        again_if_nothing_done(&self.retry_turn, self.connect_wait, || self.query_one_once(stmt.clone())).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        again_if_nothing_done(&self.retry_turn, self.connect_wait, || self.query_all_once(stmt.clone())).await
    }
}

/// What [`Db::transaction`] runs in its transaction.
pub(crate) type TxnWork<'t, T> = std::pin::Pin<Box<dyn Future<Output = Result<T, DbErr>> + Send + 't>>;

/// A transaction on a [`Db`].
pub(crate) enum Txn {
    Orm(DatabaseTransaction),
    Direct(DirectTransaction),
    Bounced(BouncedTransaction),
}

impl Txn {
    pub(crate) async fn commit(self) -> Result<(), DbErr> {
        match self {
            Txn::Orm(txn) => txn.commit().await,
            Txn::Direct(txn) => txn.commit().await,
            Txn::Bounced(txn) => txn.commit().await,
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Txn {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Txn::Orm(txn) => txn.get_database_backend(),
            Txn::Direct(txn) => txn.get_database_backend(),
            Txn::Bounced(txn) => txn.get_database_backend(),
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Txn::Orm(txn) => txn.execute_raw(stmt).await,
            Txn::Direct(txn) => txn.execute_raw(stmt).await,
            Txn::Bounced(txn) => txn.execute_raw(stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Txn::Orm(txn) => txn.execute_unprepared(sql).await,
            Txn::Direct(txn) => txn.execute_unprepared(sql).await,
            Txn::Bounced(txn) => txn.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Txn::Orm(txn) => txn.query_one_raw(stmt).await,
            Txn::Direct(txn) => txn.query_one_raw(stmt).await,
            Txn::Bounced(txn) => txn.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Txn::Orm(txn) => txn.query_all_raw(stmt).await,
            Txn::Direct(txn) => txn.query_all_raw(stmt).await,
            Txn::Bounced(txn) => txn.query_all_raw(stmt).await,
        }
    }
}
