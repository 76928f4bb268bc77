//! [`LoginAttempts`] on SQL: a row per failed login, so every process sharing the
//! database sees the same count.

use super::SqlStore;
use super::convert;
use super::entities::login_failure;
use super::errors::db_error;
use async_trait::async_trait;
use chrono::TimeDelta;
use orders_core::domain::{Email, Timestamp};
use orders_core::ports::{BackendError, LoginAttempts};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// Failures older than this are deleted when a new one is recorded for the same email.
const KEEP_FAILURES: TimeDelta = TimeDelta::days(1);

#[async_trait]
impl LoginAttempts for SqlStore {
    async fn failures_since(
        &self,
        email: &Email,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<Timestamp>, BackendError> {
        let millis: Vec<i64> = login_failure::Entity::find()
            .select_only()
            .column(login_failure::Column::FailedAtMs)
            .filter(login_failure::Column::Email.eq(email.as_str()))
            .filter(login_failure::Column::FailedAtMs.gte(convert::millis(since)))
            .order_by_desc(login_failure::Column::FailedAtMs)
            .limit(u64::from(limit))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_error)?;
        millis.into_iter().map(convert::from_millis).collect()
    }

    async fn record_failure(&self, email: &Email, at: Timestamp) -> Result<(), BackendError> {
        let _turn = self.write_turn().await?;
        login_failure::Entity::delete_many()
            .filter(login_failure::Column::Email.eq(email.as_str()))
            .filter(login_failure::Column::FailedAtMs.lt(convert::millis(at - KEEP_FAILURES)))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        let row = login_failure::ActiveModel {
            id: NotSet,
            email: Set(email.as_str().to_owned()),
            failed_at_ms: Set(convert::millis(at)),
        };
        login_failure::Entity::insert(row).exec_without_returning(&self.db).await.map_err(db_error)?;
        Ok(())
    }

    async fn clear(&self, email: &Email) -> Result<(), BackendError> {
        let _turn = self.write_turn().await?;
        login_failure::Entity::delete_many()
            .filter(login_failure::Column::Email.eq(email.as_str()))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
