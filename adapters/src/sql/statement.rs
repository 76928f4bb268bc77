//! A statement SeaORM or sea-query built, with its values bound, handed to sqlx on a
//! connection of the store's own pools ([`super::direct`], [`super::bounced`]).

use sea_orm::sqlx::{self, AssertSqlSafe, Postgres};
use sea_orm::{DbErr, RuntimeErr, Statement};
use sea_query_sqlx::SqlxValues;
use std::sync::Arc;

/// `stmt` as a sqlx query: prepared once per connection and kept (`persistent`), or
/// sent as the unnamed statement, which nothing on the server outlives. Its text and
/// values move into the query, uncopied.
pub(super) fn statement(stmt: Statement, persistent: bool) -> sqlx::query::Query<'static, Postgres, SqlxValues> {
    let values = stmt.values.unwrap_or(sea_orm::Values(Vec::new()));
    sqlx::query_with(AssertSqlSafe(stmt.sql), SqlxValues(values)).persistent(persistent)
}

pub(super) fn exec_error(error: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(error)))
}

pub(super) fn query_error(error: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(error)))
}
