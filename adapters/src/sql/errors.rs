//! Database errors in the ports' terms: "unavailable" when trying again later may
//! work (no connection, pool exhausted, lock timeouts), "failed" otherwise. Unique
//! violations are recognised so callers can turn them into domain errors.

use orders_core::ports::BackendError;
use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// SQLite result codes that mean "busy, try again": SQLITE_BUSY, SQLITE_LOCKED and
/// their extended codes.
const SQLITE_BUSY_CODES: [&str; 5] = ["5", "6", "261", "517", "262"];
/// PostgreSQL SQLSTATEs that mean "try again later": cannot connect now, admin
/// shutdown, crash shutdown, too many connections, lock timeout, deadlock,
/// serialization failure, query canceled (statement timeout).
const POSTGRES_RETRYABLE: [&str; 8] = ["57P03", "57P01", "57P02", "53300", "55P03", "40P01", "40001", "57014"];

/// A plain sqlx error (from code below SeaORM) in the ports' terms.
pub(crate) fn sqlx_error(error: sqlx::Error) -> BackendError {
    shared_sqlx_error(&std::sync::Arc::new(error))
}

/// `error`, shared by several callers that each report it.
pub(crate) fn shared_sqlx_error(error: &std::sync::Arc<sqlx::Error>) -> BackendError {
    db_error(DbErr::Exec(RuntimeErr::SqlxError(std::sync::Arc::clone(error))))
}

pub(crate) fn db_error(error: DbErr) -> BackendError {
    if is_unavailable(&error) { BackendError::unavailable(error) } else { BackendError::failed(error) }
}

pub(crate) fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// The SQLSTATE (PostgreSQL) or result code (SQLite) of a database error, if any.
pub(crate) fn database_code(error: &DbErr) -> Option<String> {
    match error {
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => match e.as_ref() {
            sqlx::Error::Database(db) => db.code().map(|code| code.into_owned()),
            _ => None,
        },
        _ => None,
    }
}

fn is_unavailable(error: &DbErr) -> bool {
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => match e.as_ref() {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(_) => database_code(error).is_some_and(|code| {
                code.starts_with("08")
                    || POSTGRES_RETRYABLE.contains(&code.as_str())
                    || SQLITE_BUSY_CODES.contains(&code.as_str())
            }),
            _ => false,
        },
        _ => false,
    }
}
