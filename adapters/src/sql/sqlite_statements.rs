//! sea-query's statements on the SQLite writer's rusqlite connection: the SQL sea-query
//! builds for SQLite, prepared once per connection (rusqlite's statement cache), with
//! every value bound exactly as sqlx binds it (a UUID as a 16-byte blob, a time as RFC
//! 3339 text), so that rows written here read back through SeaORM like its own.
//!
//! The statements of every unit of work are [`Built`] once per process, with numbered
//! parameters ([`param`]) in place of values, and run with their values bound by
//! number; statements whose shape depends on their values are built on each run.

use chrono::SecondsFormat;
use orders_core::ports::BackendError;
use rusqlite::types::Value as Bound;
use rusqlite::{Connection, Row, params_from_iter};
use sea_orm::sea_query::{Expr, QueryStatementWriter, SqliteQueryBuilder, Value};
use std::sync::LazyLock;

/// A statement whose SQL is built once, on first use, from a sea-query builder whose
/// values are all [`param`]s.
pub(super) struct Built(LazyLock<String>);

impl Built {
    pub(super) const fn new(build: fn() -> String) -> Self {
        Self(LazyLock::new(build))
    }

    pub(super) fn sql(&self) -> &str {
        &self.0
    }
}

/// The SQL of `statement`, which must hold no value but [`param`]s.
pub(super) fn sql_of(statement: &impl QueryStatementWriter) -> String {
    let (sql, values) = statement.build(SqliteQueryBuilder);
    assert!(values.0.is_empty(), "a statement built once binds its values by number: {sql}");
    sql
}

/// Parameter `n` (from 1) of a statement built once: bound by number when it runs.
pub(super) fn param(n: u8) -> Expr {
    Expr::cust(format!("?{n}"))
}

/// Parameters ?1 to ?`count`, as the values of an inserted row.
pub(super) fn params_for(count: usize) -> Vec<Expr> {
    (1..=count).map(|n| param(u8::try_from(n).expect("a row of few columns"))).collect()
}

/// Runs `statement` with `values` bound to its parameters by number; how many rows it
/// changed.
pub(super) fn execute_built(
    conn: &Connection,
    statement: &Built,
    values: impl rusqlite::Params,
) -> Result<usize, BackendError> {
    conn.prepare_cached(statement.sql()).map_err(sqlite_error)?.execute(values).map_err(sqlite_error)
}

/// Runs the query `statement` with `values` bound by number, each row read by `read`.
pub(super) fn query_built<T>(
    conn: &Connection,
    statement: &Built,
    values: impl rusqlite::Params,
    read: impl FnMut(&Row<'_>) -> Result<T, BackendError>,
) -> Result<Vec<T>, BackendError> {
    query_built_first(conn, statement, values, usize::MAX, read)
}

/// Runs the query `statement` with `values` bound by number, its first `at_most` rows
/// read by `read` (SQLite steps no further).
pub(super) fn query_built_first<T>(
    conn: &Connection,
    statement: &Built,
    values: impl rusqlite::Params,
    at_most: usize,
    mut read: impl FnMut(&Row<'_>) -> Result<T, BackendError>,
) -> Result<Vec<T>, BackendError> {
    let mut prepared = conn.prepare_cached(statement.sql()).map_err(sqlite_error)?;
    let mut rows = prepared.query(values).map_err(sqlite_error)?;
    let mut read_rows = Vec::new();
    while read_rows.len() < at_most
        && let Some(row) = rows.next().map_err(sqlite_error)?
    {
        read_rows.push(read(row)?);
    }
    Ok(read_rows)
}

/// A time as sqlx stores one on SQLite: RFC 3339 text.
pub(super) fn time_text(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// Runs a statement that changes rows, built for this run; how many it changed.
pub(super) fn execute(conn: &Connection, statement: &impl QueryStatementWriter) -> Result<usize, BackendError> {
    let (sql, values) = statement.build(SqliteQueryBuilder);
    let bound = bind(values.0)?;
    let mut prepared = conn.prepare_cached(&sql).map_err(sqlite_error)?;
    prepared.execute(params_from_iter(bound)).map_err(sqlite_error)
}

/// Runs a query built for this run, each row read by `read`.
pub(super) fn query<T>(
    conn: &Connection,
    statement: &impl QueryStatementWriter,
    mut read: impl FnMut(&Row<'_>) -> Result<T, BackendError>,
) -> Result<Vec<T>, BackendError> {
    let (sql, values) = statement.build(SqliteQueryBuilder);
    let bound = bind(values.0)?;
    let mut prepared = conn.prepare_cached(&sql).map_err(sqlite_error)?;
    let mut rows = prepared.query(params_from_iter(bound)).map_err(sqlite_error)?;
    let mut read_rows = Vec::new();
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        read_rows.push(read(row)?);
    }
    Ok(read_rows)
}

/// Column `index` of `row`.
pub(super) fn column<T: rusqlite::types::FromSql>(row: &Row<'_>, index: usize) -> Result<T, BackendError> {
    row.get(index).map_err(sqlite_error)
}

/// A UUID stored as sqlx stores one: 16 bytes.
pub(super) fn uuid_column(row: &Row<'_>, index: usize) -> Result<uuid::Uuid, BackendError> {
    let bytes: Vec<u8> = column(row, index)?;
    uuid::Uuid::from_slice(&bytes).map_err(|e| BackendError::failed(format!("a stored id is not a UUID: {e}")))
}

fn bind(values: Vec<Value>) -> Result<Vec<Bound>, BackendError> {
    values.into_iter().map(bound).collect()
}

fn bound(value: Value) -> Result<Bound, BackendError> {
    fn or_null<T>(value: Option<T>, to: impl FnOnce(T) -> Bound) -> Bound {
        value.map_or(Bound::Null, to)
    }
    Ok(match value {
        Value::Bool(v) => or_null(v, |v| Bound::Integer(i64::from(v))),
        Value::TinyInt(v) => or_null(v, |v| Bound::Integer(i64::from(v))),
        Value::SmallInt(v) => or_null(v, |v| Bound::Integer(i64::from(v))),
        Value::Int(v) => or_null(v, |v| Bound::Integer(i64::from(v))),
        Value::BigInt(v) => or_null(v, Bound::Integer),
        Value::TinyUnsigned(v) => or_null(v, |v| Bound::Integer(i64::from(v))),
        Value::SmallUnsigned(v) => or_null(v, |v| Bound::Integer(i64::from(v))),
        Value::Unsigned(v) => or_null(v, |v| Bound::Integer(i64::from(v))),
        Value::BigUnsigned(Some(v)) => Bound::Integer(i64::try_from(v).map_err(BackendError::failed)?),
        Value::Float(v) => or_null(v, |v| Bound::Real(f64::from(v))),
        Value::Double(v) => or_null(v, Bound::Real),
        Value::String(v) => or_null(v, Bound::Text),
        Value::Char(v) => or_null(v, |v| Bound::Text(v.to_string())),
        Value::Bytes(v) => or_null(v, Bound::Blob),
        Value::Uuid(v) => or_null(v, |v| Bound::Blob(v.as_bytes().to_vec())),
        Value::ChronoDateTimeUtc(v) => or_null(v, |v| Bound::Text(time_text(v))),
        other => return Err(BackendError::failed(format!("the SQLite writer cannot bind {other:?}"))),
    })
}

/// A rusqlite error in the ports' terms: busy (another process holds the write lock
/// past the busy timeout) is unavailable; anything else failed.
pub(super) fn sqlite_error(error: rusqlite::Error) -> BackendError {
    let busy = matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    if busy { BackendError::unavailable(error) } else { BackendError::failed(error) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn values_are_bound_as_sqlx_binds_them() {
        let id = uuid::Uuid::now_v7();
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 2, 6, 0, 0).unwrap();
        assert_eq!(bound(Value::Uuid(Some(id))).unwrap(), Bound::Blob(id.as_bytes().to_vec()));
        assert_eq!(bound(Value::ChronoDateTimeUtc(Some(at))).unwrap(), Bound::Text("2026-12-02T06:00:00+00:00".into()));
        assert_eq!(bound(Value::BigInt(None)).unwrap(), Bound::Null);
        assert_eq!(bound(Value::String(Some("x".into()))).unwrap(), Bound::Text("x".into()));
    }
}
