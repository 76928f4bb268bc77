//! How webhook statements run: on SQLite as one unit on the store's writer (so they
//! share its batch commits instead of taking the write lock apart, which would commit
//! the orders' batch early), on PostgreSQL in one transaction (run again whole if PostgreSQL aborts it to serialize),
//! or alone when a single
//! statement suffices. Both keep all of a step or none of it.

use crate::sql::SqlStore;
use crate::sql::entities::{webhook, webhook_retry};
use crate::sql::errors::db_error;
use crate::sql::sqlite_columns::{FromSqliteRow, optional_uuid_column, time_column};
use crate::sql::sqlite_statements::{column, execute, query, uuid_column};
use orders_core::domain::DeliveryAttempt;
use orders_core::ports::BackendError;
use rusqlite::{Connection, Row};
use sea_orm::sea_query::{DeleteStatement, InsertStatement, SelectStatement, UpdateStatement};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

/// One statement that changes rows.
pub(super) enum Change {
    Insert(InsertStatement),
    Update(UpdateStatement),
    Delete(DeleteStatement),
    /// Delivery attempts' rows: on SQLite one statement built once, run for each; on
    /// PostgreSQL one statement for all, of one text whatever their number.
    Attempts(Vec<DeliveryAttempt>),
}

impl Change {
    fn on_sqlite(&self, conn: &Connection) -> Result<usize, BackendError> {
        match self {
            Change::Insert(statement) => execute(conn, statement),
            Change::Update(statement) => execute(conn, statement),
            Change::Delete(statement) => execute(conn, statement),
            Change::Attempts(attempts) => {
                attempts.iter().try_for_each(|attempt| super::sqlite::insert_attempt(conn, attempt))?;
                Ok(attempts.len())
            }
        }
    }

    async fn on(&self, db: &impl ConnectionTrait) -> Result<u64, DbErr> {
        let done = match self {
            Change::Insert(statement) => db.execute(statement).await,
            Change::Update(statement) => db.execute(statement).await,
            Change::Delete(statement) => db.execute(statement).await,
            Change::Attempts(attempts) if attempts.is_empty() => return Ok(0),
            Change::Attempts(attempts) => db.execute_raw(super::statements::record_attempts(attempts)).await,
        };
        done.map(|result| result.rows_affected())
    }
}

/// A row `RETURNING` gave, read on either database.
pub(super) trait Returned: FromQueryResult + FromSqliteRow + Send + 'static {}

impl Returned for webhook::Model {}
impl Returned for webhook_retry::Model {}

impl SqlStore {
    /// Runs `guard` and, if it changed a row, `changes`, in one atomic step: whether it
    /// ran them (without a guard, always).
    pub(super) async fn apply(&self, guard: Option<Change>, changes: Vec<Change>) -> Result<bool, BackendError> {
        if let Some(writer) = &self.sqlite_writer {
            return writer
                .unit(Box::new(move |conn| {
                    if let Some(guard) = &guard
                        && guard.on_sqlite(conn)? == 0
                    {
                        return Ok((false, false));
                    }
                    for change in &changes {
                        change.on_sqlite(conn)?;
                    }
                    Ok((true, true))
                }))
                .await;
        }
        let step = std::sync::Arc::new((guard, changes));
        self.db
            .transaction(|txn| {
                let step = step.clone();
                Box::pin(async move {
                    let (guard, changes) = &*step;
                    if let Some(guard) = guard
                        && guard.on(txn).await? == 0
                    {
                        return Ok(false);
                    }
                    for change in changes {
                        change.on(txn).await?;
                    }
                    Ok(true)
                })
            })
            .await
            .map_err(db_error)
    }

    /// Whether `query` finds a row: read on the pool, so that a worker with nothing to do
    /// writes nothing (on SQLite, takes no turn on the writer).
    pub(super) async fn any(&self, query: SelectStatement) -> Result<bool, BackendError> {
        self.db.query_one(&query).await.map(|row| row.is_some()).map_err(db_error)
    }

    /// Runs `statement` alone, and the rows it returns.
    pub(super) async fn returning<M: Returned>(&self, statement: UpdateStatement) -> Result<Vec<M>, BackendError> {
        if let Some(writer) = &self.sqlite_writer {
            return writer
                .unit(Box::new(move |conn| {
                    let rows = query(conn, &statement, M::from_sqlite)?;
                    let changed = !rows.is_empty();
                    Ok((rows, changed))
                }))
                .await;
        }
        let built = self.db.get_database_backend().build(&statement);
        M::find_by_statement(built).all(&self.db).await.map_err(db_error)
    }
}

impl FromSqliteRow for webhook::Model {
    fn from_sqlite(row: &Row<'_>) -> Result<Self, BackendError> {
        Ok(Self {
            id: uuid_column(row, 0)?,
            url: column(row, 1)?,
            events: column(row, 2)?,
            secret: column(row, 3)?,
            status: column(row, 4)?,
            created_at: time_column(row, 5)?,
            cursor_txid: column(row, 6)?,
            cursor_seq: column(row, 7)?,
            lease_holder: optional_uuid_column(row, 8)?,
            lease_until_ms: column(row, 9)?,
        })
    }
}

impl FromSqliteRow for webhook_retry::Model {
    fn from_sqlite(row: &Row<'_>) -> Result<Self, BackendError> {
        Ok(Self {
            webhook_id: uuid_column(row, 0)?,
            event_seq: column(row, 1)?,
            event_txid: column(row, 2)?,
            event_id: uuid_column(row, 3)?,
            failures: column(row, 4)?,
            first_attempt_at_ms: column(row, 5)?,
            due_at_ms: column(row, 6)?,
            manual: column(row, 7)?,
            lease_holder: optional_uuid_column(row, 8)?,
            lease_until_ms: column(row, 9)?,
        })
    }
}
