//! The store's connection to its database: SeaORM's own (SQLite, and PostgreSQL reached
//! directly, which keeps prepared statements for a connection's life), or, behind a
//! transaction-pooling PgBouncer, one that keeps nothing beyond a transaction
//! ([`super::bounced`]). Every query of the store goes through [`Db`], so it runs on
//! either unchanged, and so do transactions of several statements ([`Txn`]).

use super::bounced::{Bounced, BouncedTransaction};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

#[derive(Clone)]
pub(crate) enum Db {
    Orm(DatabaseConnection),
    Bounced(Bounced),
}

impl Db {
    /// Whether the database answers now.
    pub(crate) async fn ping(&self) -> Result<(), DbErr> {
        match self {
            Db::Orm(db) => db.ping().await,
            Db::Bounced(bounced) => bounced.ping().await,
        }
    }

    /// A transaction of several statements, on either connection (begun to write at
    /// once on SQLite: `BEGIN IMMEDIATE`). Dropped uncommitted, it rolls back.
    pub(crate) async fn begin(&self) -> Result<Txn, DbErr> {
        match self {
            Db::Orm(db) => {
                let options = TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..Default::default()
                };
                db.begin_with_options(options).await.map(Txn::Orm)
            }
            Db::Bounced(bounced) => bounced.begin().await.map(Txn::Bounced),
        }
    }
}

/// A transaction on a [`Db`].
pub(crate) enum Txn {
    Orm(DatabaseTransaction),
    Bounced(BouncedTransaction),
}

impl Txn {
    pub(crate) async fn commit(self) -> Result<(), DbErr> {
        match self {
            Txn::Orm(txn) => txn.commit().await,
            Txn::Bounced(txn) => txn.commit().await,
        }
    }
}

/// Every method of `ConnectionTrait` on `$ty`, handed to whichever connection `$ty`'s
/// variants hold.
macro_rules! delegate_connection {
    ($ty:ident { $($variant:ident),+ }) => {
        #[async_trait::async_trait]
        impl ConnectionTrait for $ty {
            fn get_database_backend(&self) -> DbBackend {
                match self { $($ty::$variant(inner) => inner.get_database_backend()),+ }
            }

            async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
                match self { $($ty::$variant(inner) => inner.execute_raw(stmt).await),+ }
            }

            async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
                match self { $($ty::$variant(inner) => inner.execute_unprepared(sql).await),+ }
            }

            async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
                match self { $($ty::$variant(inner) => inner.query_one_raw(stmt).await),+ }
            }

            async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
                match self { $($ty::$variant(inner) => inner.query_all_raw(stmt).await),+ }
            }
        }
    };
}

delegate_connection!(Db { Orm, Bounced });
delegate_connection!(Txn { Orm, Bounced });
