//! The store's connection to its database: SeaORM's own pool on SQLite; on PostgreSQL
//! reached directly, a pool of the store's own whose connections keep their prepared
//! statements ([`super::direct`]); behind a transaction-pooling PgBouncer, one that
//! keeps nothing beyond a transaction ([`super::bounced`]). Every query of the store
//! goes through [`Db`], so it runs on any of them unchanged.

use super::bounced::Bounced;
use super::direct::Direct;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, Statement};

#[derive(Clone)]
pub(crate) enum Db {
    /// SQLite, through SeaORM's pool.
    Orm(DatabaseConnection),
    /// PostgreSQL reached directly.
    Direct(Direct),
    /// PostgreSQL behind a transaction-pooling PgBouncer.
    Bounced(Bounced),
}

impl Db {
    /// Whether the database answers now.
    pub(crate) async fn ping(&self) -> Result<(), DbErr> {
        match self {
            Db::Orm(db) => db.ping().await,
            Db::Direct(direct) => direct.ping().await,
            Db::Bounced(bounced) => bounced.ping().await,
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Db::Orm(db) => db.get_database_backend(),
            Db::Direct(direct) => direct.get_database_backend(),
            Db::Bounced(bounced) => bounced.get_database_backend(),
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Db::Orm(db) => db.execute_raw(stmt).await,
            Db::Direct(direct) => direct.execute_raw(stmt).await,
            Db::Bounced(bounced) => bounced.execute_raw(stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Db::Orm(db) => db.execute_unprepared(sql).await,
            Db::Direct(direct) => direct.execute_unprepared(sql).await,
            Db::Bounced(bounced) => bounced.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Db::Orm(db) => db.query_one_raw(stmt).await,
            Db::Direct(direct) => direct.query_one_raw(stmt).await,
            Db::Bounced(bounced) => bounced.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Db::Orm(db) => db.query_all_raw(stmt).await,
            Db::Direct(direct) => direct.query_all_raw(stmt).await,
            Db::Bounced(bounced) => bounced.query_all_raw(stmt).await,
        }
    }
}
