//! [`IdempotencyStore`] on SQL.

use super::entities::idempotency_key;
use super::errors::db_error;
use super::{SqlStore, convert, postgres_orders, sqlite_orders};
use async_trait::async_trait;
use orders_core::domain::{RecordedOutcome, Refusal, Timestamp};
use orders_core::ports::{BackendError, Claim, IdempotencyStore, KeyClaim};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

#[async_trait]
impl IdempotencyStore for SqlStore {
    #[tracing::instrument(level = "debug", name = "IdempotencyStore::record_refusal", skip_all)]
    async fn record_refusal(&self, claim: &KeyClaim, refusal: Refusal) -> Result<Claim, BackendError> {
        let row = convert::idempotency_row(claim, &RecordedOutcome::Refused(refusal));
        match &self.sqlite_writer {
            Some(writer) => sqlite_orders::claim_key(writer, row).await,
            None => postgres_orders::claim_key(&self.db, row).await,
        }
    }

    #[tracing::instrument(level = "debug", name = "IdempotencyStore::purge_before", skip_all)]
    async fn purge_before(&self, cutoff: Timestamp) -> Result<u64, BackendError> {
        let _turn = self.write_turn().await?;
        let result = idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::CreatedAtMs.lt(convert::millis(cutoff)))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(result.rows_affected)
    }
}
