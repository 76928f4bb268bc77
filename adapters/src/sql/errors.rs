//! Database errors in the ports' terms: "unavailable" when trying again later may
//! work (no connection, pool exhausted, lock timeouts, a database that is read-only or
//! full for now), "failed" otherwise. Unique violations are recognised so callers can
//! turn them into domain errors.

use orders_core::ports::BackendError;
use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// SQLite primary result codes (the low byte of an extended code) that mean "try
/// again later": SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY (a file or disk made
/// read-only), SQLITE_FULL (the disk is full).
const SQLITE_RETRYABLE: [i32; 4] = [5, 6, 8, 13];
/// PostgreSQL SQLSTATE classes that mean "try again later": connection exceptions,
/// insufficient resources (disk full, out of memory, too many connections).
const POSTGRES_RETRYABLE_CLASSES: [&str; 2] = ["08", "53"];
/// PostgreSQL SQLSTATEs that mean "try again later": cannot connect now, admin
/// shutdown, crash shutdown, lock timeout, deadlock, serialization failure, query
/// canceled (statement timeout), read-only transaction (a standby, or a database
/// made read-only).
const POSTGRES_RETRYABLE: [&str; 8] = ["57P03", "57P01", "57P02", "55P03", "40P01", "40001", "57014", "25006"];

/// PostgreSQL SQLSTATEs of a transaction aborted so that others may go on: serialization
/// failure, deadlock detected. Running it again may succeed ([`super::retry`]).
const POSTGRES_ABORTED_TO_SERIALIZE: [&str; 2] = ["40001", "40P01"];

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

/// Whether PostgreSQL aborted the transaction to keep transactions serializable
/// (40001) or to break a deadlock (40P01): it changed nothing, and may run again.
pub(crate) fn is_aborted_to_serialize(error: &DbErr) -> bool {
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = error else { return false };
    let sqlx::Error::Database(database) = e.as_ref() else { return false };
    database.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_some()
        && database.code().is_some_and(|code| POSTGRES_ABORTED_TO_SERIALIZE.contains(&&*code))
}

pub(crate) fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
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
            sqlx::Error::Database(database) => is_retryable(database.as_ref()),
            _ => false,
        },
        _ => false,
    }
}

/// Whether the database refused for a reason that may pass: see [`SQLITE_RETRYABLE`],
/// [`POSTGRES_RETRYABLE_CLASSES`] and [`POSTGRES_RETRYABLE`].
fn is_retryable(error: &dyn sqlx::error::DatabaseError) -> bool {
    let Some(code) = error.code() else { return false };
    if error.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        code.parse::<i32>().is_ok_and(|extended| SQLITE_RETRYABLE.contains(&(extended & 0xff)))
    } else {
        POSTGRES_RETRYABLE_CLASSES.iter().any(|class| code.starts_with(class)) || POSTGRES_RETRYABLE.contains(&&*code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sqlx::{Connection, SqliteConnection};

    /// The error SQLite answers `write` with after `setup`, in the ports' terms.
    async fn refusal(setup: &'static str, write: &'static str) -> BackendError {
        let mut connection = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        sqlx::raw_sql(setup).execute(&mut connection).await.unwrap();
        sqlx_error(sqlx::raw_sql(write).execute(&mut connection).await.unwrap_err())
    }

    #[tokio::test]
    async fn a_read_only_or_full_sqlite_database_is_unavailable_not_failed() {
        let read_only = refusal("CREATE TABLE t (v BLOB); PRAGMA query_only = 1;", "INSERT INTO t VALUES (1)").await;
        assert!(matches!(read_only, BackendError::Unavailable(_)), "{read_only:?}");
        let full =
            refusal("CREATE TABLE t (v BLOB); PRAGMA max_page_count = 4;", "INSERT INTO t VALUES (zeroblob(100000))")
                .await;
        assert!(matches!(full, BackendError::Unavailable(_)), "{full:?}");
    }

    #[tokio::test]
    async fn a_broken_statement_is_failed() {
        let broken = refusal("CREATE TABLE t (v BLOB);", "INSERT INTO missing VALUES (1)").await;
        assert!(matches!(broken, BackendError::Failed(_)), "{broken:?}");
    }
}
