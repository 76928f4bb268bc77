//! The one statement the SQLite writer runs for every delivery attempt, the attempt's
//! row, [`Built`] once with numbered parameters and bound for each attempt: built afresh
//! for each, it cost the writer, which also places every order, more than the row.

use crate::sql::entities::webhook_delivery;
use crate::sql::sqlite_statements::{Built, execute_built, params_for, sql_of, time_text};
use orders_core::domain::{AttemptResult, DeliveryAttempt};
use orders_core::ports::BackendError;
use rusqlite::{Connection, params};
use sea_orm::Iterable;
use sea_orm::sea_query::Query;

/// Records `attempt`.
pub(super) fn insert_attempt(conn: &Connection, attempt: &DeliveryAttempt) -> Result<(), BackendError> {
    let error = match &attempt.result {
        AttemptResult::Failed { error } => Some(error.as_str()),
        _ => None,
    };
    let (id, webhook, event) = (attempt.id.as_uuid(), attempt.webhook.as_uuid(), attempt.event_id.as_uuid());
    execute_built(
        conn,
        &INSERT_ATTEMPT,
        params![
            &id.as_bytes()[..],
            &webhook.as_bytes()[..],
            &event.as_bytes()[..],
            attempt.event_type.as_str(),
            attempt.position.group(),
            attempt.position.sequence(),
            time_text(attempt.attempted_at),
            attempt.result.status(),
            error,
            i64::try_from(attempt.latency.as_millis()).unwrap_or(i64::MAX),
            attempt.next_retry_at.map(time_text)
        ],
    )
    .map(|_| ())
}

/// An attempt's row, the entity's columns in order as parameters ?1 to ?11.
static INSERT_ATTEMPT: Built = Built::new(|| {
    let columns: Vec<_> = webhook_delivery::Column::iter().collect();
    let values = params_for(columns.len());
    sql_of(Query::insert().into_table(webhook_delivery::Entity).columns(columns).values_panic(values))
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attempt_statement_binds_every_column_by_number() {
        assert!(INSERT_ATTEMPT.sql().starts_with(r#"INSERT INTO "webhook_deliveries" ("id", "webhook_id""#));
        assert!(INSERT_ATTEMPT.sql().ends_with("VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
    }
}
