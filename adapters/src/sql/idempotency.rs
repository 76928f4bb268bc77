//! [`IdempotencyStore`] on SQL.

use super::SqlStore;
use super::convert;
use super::entities::idempotency_key;
use super::errors::db_error;
use super::orders::claim_key;
use async_trait::async_trait;
use orders_core::domain::{RecordedOutcome, Refusal, Timestamp};
use orders_core::ports::{BackendError, Claim, IdempotencyStore, KeyClaim};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

#[async_trait]
impl IdempotencyStore for SqlStore {
    async fn record_refusal(&self, claim: &KeyClaim, refusal: Refusal) -> Result<Claim, BackendError> {
        let _turn = self.write_turn().await?;
        let row = convert::idempotency_row(
            claim.user,
            claim.key.as_str(),
            &claim.fingerprint,
            &RecordedOutcome::Refused(refusal),
            claim.at,
        );
        let txn = self.begin_write().await?;
        let answer = claim_key(&txn, claim, row).await?;
        txn.commit().await.map_err(db_error)?;
        Ok(answer)
    }

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
