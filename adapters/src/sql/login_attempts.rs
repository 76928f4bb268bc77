//! [`LoginAttempts`] on SQL: one row per email holding its window of counted logins,
//! counted by one upsert that checks the limit as it counts, so that every process
//! sharing the database sees one count and concurrent guesses cannot pass it
//! (PostgreSQL locks the row for the upsert; SQLite writes one at a time).

use super::SqlStore;
use super::convert;
use super::entities::login_attempt::{self, Column};
use super::errors::db_error;
use async_trait::async_trait;
use orders_core::domain::{Email, Timestamp};
use orders_core::ports::{AttemptCount, BackendError, LoginAttempts};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

#[async_trait]
impl LoginAttempts for SqlStore {
    #[tracing::instrument(level = "debug", name = "LoginAttempts::count_attempt", skip_all)]
    async fn count_attempt(
        &self,
        email: &Email,
        at: Timestamp,
        window_ended_before: Timestamp,
        limit: u32,
    ) -> Result<AttemptCount, BackendError> {
        let (at_ms, ended_ms) = (convert::millis(at), convert::millis(window_ended_before));
        let stored = |column: Column| Expr::col((login_attempt::Entity, column));
        let window_over = stored(Column::WindowStartedAtMs).lt(ended_ms);
        let upsert = Query::insert()
            .into_table(login_attempt::Entity)
            .columns([Column::Email, Column::WindowStartedAtMs, Column::Attempts])
            .values([email.as_str().into(), at_ms.into(), 1_i32.into()])
            .map_err(BackendError::failed)?
            .on_conflict(
                OnConflict::column(Column::Email)
                    .value(
                        Column::WindowStartedAtMs,
                        Expr::case(window_over.clone(), at_ms).finally(stored(Column::WindowStartedAtMs)),
                    )
                    .value(
                        Column::Attempts,
                        Expr::case(window_over.clone(), 1_i32).finally(stored(Column::Attempts).add(1_i32)),
                    )
                    .action_and_where(window_over.or(stored(Column::Attempts).lt(i64::from(limit))))
                    .to_owned(),
            )
            .returning_col(Column::Attempts)
            .to_owned();
        let _turn = self.write_turn().await?;
        let statement = self.db.get_database_backend().build(&upsert);
        if !self.db.query_all_raw(statement).await.map_err(db_error)?.is_empty() {
            return Ok(AttemptCount::Counted);
        }
        let window = login_attempt::Entity::find_by_id(email.as_str()).one(&self.db).await.map_err(db_error)?;
        let window_started_at = match window {
            Some(window) => convert::from_millis(window.window_started_at_ms)?,
            None => at,
        };
        Ok(AttemptCount::Throttled { window_started_at })
    }

    #[tracing::instrument(level = "debug", name = "LoginAttempts::clear", skip_all)]
    async fn clear(&self, email: &Email) -> Result<(), BackendError> {
        let _turn = self.write_turn().await?;
        login_attempt::Entity::delete_many()
            .filter(login_attempt::Column::Email.eq(email.as_str()))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
