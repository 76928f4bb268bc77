//! Columns of rows read on the SQLite writer's connection that need more than rusqlite's
//! own conversions: times and ids that may be NULL, stored as sqlx stores them (RFC 3339
//! text, 16-byte blobs).

use super::sqlite_statements::column;
use chrono::{DateTime, Utc};
use orders_core::ports::BackendError;
use rusqlite::Row;

/// A time: RFC 3339 text.
pub(super) fn time_column(row: &Row<'_>, index: usize) -> Result<DateTime<Utc>, BackendError> {
    let text: String = column(row, index)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|e| BackendError::failed(format!("a stored time {text:?} is not RFC 3339: {e}")))
}

/// An id that may be NULL.
pub(super) fn optional_uuid_column(row: &Row<'_>, index: usize) -> Result<Option<uuid::Uuid>, BackendError> {
    let bytes: Option<Vec<u8>> = column(row, index)?;
    bytes.map(|bytes| uuid::Uuid::from_slice(&bytes).map_err(BackendError::failed)).transpose()
}
