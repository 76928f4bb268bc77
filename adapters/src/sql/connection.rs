//! The store's connection to its database: SeaORM's own (SQLite, and PostgreSQL reached
//! directly, which keeps prepared statements for a connection's life), or, behind a
//! transaction-pooling PgBouncer, one that keeps nothing beyond a transaction
//! ([`super::bounced`]). Every query of the store goes through [`Db`], so it runs on
//! either unchanged, and each is run again if PostgreSQL aborted it to serialize
//! transactions ([`super::retry`]).

use super::bounced::Bounced;
use super::retry::again_if_aborted;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, Statement};

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

    async fn execute_once(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Db::Orm(db) => db.execute_raw(stmt).await,
            Db::Bounced(bounced) => bounced.execute_raw(stmt).await,
        }
    }

    async fn execute_unprepared_once(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Db::Orm(db) => db.execute_unprepared(sql).await,
            Db::Bounced(bounced) => bounced.execute_unprepared(sql).await,
        }
    }

    async fn query_one_once(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Db::Orm(db) => db.query_one_raw(stmt).await,
            Db::Bounced(bounced) => bounced.query_one_raw(stmt).await,
        }
    }

    async fn query_all_once(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Db::Orm(db) => db.query_all_raw(stmt).await,
            Db::Bounced(bounced) => bounced.query_all_raw(stmt).await,
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Db::Orm(db) => db.get_database_backend(),
            Db::Bounced(bounced) => bounced.get_database_backend(),
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        again_if_aborted(|| self.execute_once(stmt.clone())).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        again_if_aborted(|| self.execute_unprepared_once(sql)).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        again_if_aborted(|| self.query_one_once(stmt.clone())).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        again_if_aborted(|| self.query_all_once(stmt.clone())).await
    }
}
