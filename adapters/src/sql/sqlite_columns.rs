//! Rows read on the SQLite writer's connection: an entity's model from its columns
//! ([`FromSqliteRow`]), and the columns that need more than rusqlite's own conversions:
//! times and ids that may be NULL, stored as sqlx stores them (RFC 3339 text, 16-byte
//! blobs).

use super::sqlite_statements::column;
use chrono::{DateTime, Utc};
use orders_core::ports::BackendError;
use rusqlite::Row;

/// An entity's model read from a row of all its columns, in the entity's order (as
/// `Column::iter()` gives them).
pub(super) trait FromSqliteRow: Sized {
    fn from_sqlite(row: &Row<'_>) -> Result<Self, BackendError>;
}

/// A time: RFC 3339 text.
pub(super) fn time_column(row: &Row<'_>, index: usize) -> Result<DateTime<Utc>, BackendError> {
    parse_time(&column::<String>(row, index)?)
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, BackendError> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|e| BackendError::failed(format!("a stored time {text:?} is not RFC 3339: {e}")))
}

/// A time that may be NULL.
pub(super) fn optional_time_column(row: &Row<'_>, index: usize) -> Result<Option<DateTime<Utc>>, BackendError> {
    let text: Option<String> = column(row, index)?;
    text.map(|text| parse_time(&text)).transpose()
}

/// An id that may be NULL.
pub(super) fn optional_uuid_column(row: &Row<'_>, index: usize) -> Result<Option<uuid::Uuid>, BackendError> {
    let bytes: Option<Vec<u8>> = column(row, index)?;
    bytes.map(|bytes| uuid::Uuid::from_slice(&bytes).map_err(BackendError::failed)).transpose()
}
