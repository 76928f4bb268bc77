//! sea-query's statements on the SQLite writer's rusqlite connection: the SQL sea-query
//! builds for SQLite, prepared once per connection (rusqlite's statement cache), with
//! every value bound exactly as sqlx binds it (a UUID as a 16-byte blob, a time as RFC
//! 3339 text), so that rows written here read back through SeaORM like its own.

use chrono::SecondsFormat;
use orders_core::ports::BackendError;
use rusqlite::types::Value as Bound;
use rusqlite::{Connection, Row, params_from_iter};
use sea_orm::sea_query::{QueryStatementWriter, SqliteQueryBuilder, Value};

/// Runs a statement that changes rows; how many it changed.
pub(super) fn execute(conn: &Connection, statement: &impl QueryStatementWriter) -> Result<usize, BackendError> {
    let (sql, values) = statement.build(SqliteQueryBuilder);
    let bound = bind(values.0)?;
    let mut prepared = conn.prepare_cached(&sql).map_err(sqlite_error)?;
    prepared.execute(params_from_iter(bound)).map_err(sqlite_error)
}

/// Runs a query, each row read by `read`.
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
        Value::ChronoDateTimeUtc(v) => or_null(v, |v| Bound::Text(v.to_rfc3339_opts(SecondsFormat::AutoSi, false))),
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
