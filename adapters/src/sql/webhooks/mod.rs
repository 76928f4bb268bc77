//! [`WebhookStore`] on SQL: endpoints (`webhooks`), retries (`webhook_retries`) and
//! attempts (`webhook_deliveries`). Reads are SeaORM queries; the worker's steps are
//! the statements of [`statements`], each step atomic ([`run`]).

mod rows;
mod run;
mod sqlite;
mod statements;

use super::SqlStore;
use super::entities::{webhook, webhook_delivery, webhook_retry};
use super::errors::db_error;
use super::one_of::one_of;
use async_trait::async_trait;
use orders_core::domain::{
    DeliveryAttempt, DeliveryId, Endpoint, FeedPosition, Timestamp, Webhook, WebhookId, WorkerId,
};
use orders_core::ports::{
    AfterRetry, BackendError, ClaimedRetry, FreshLease, Lease, PendingRetry, RetryOutcome, ScheduledRetry, WebhookStore,
};
use run::Change;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
pub use statements::RECORD_ATTEMPTS;
use std::collections::HashMap;

#[async_trait]
impl WebhookStore for SqlStore {
    async fn insert(&self, endpoint: &Endpoint, cursor: FeedPosition) -> Result<(), BackendError> {
        let _turn = self.write_turn().await?;
        webhook::Entity::insert(rows::new_webhook(endpoint, cursor))
            .exec_without_returning(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn list(&self, after: Option<WebhookId>, fetch: u32) -> Result<Vec<Webhook>, BackendError> {
        let mut query = webhook::Entity::find().order_by_asc(webhook::Column::Id).limit(u64::from(fetch));
        if let Some(after) = after {
            query = query.filter(webhook::Column::Id.gt(after.as_uuid()));
        }
        query.all(&self.db).await.map_err(db_error)?.iter().map(rows::webhook).collect()
    }

    async fn by_id(&self, id: WebhookId) -> Result<Option<Webhook>, BackendError> {
        let row = webhook::Entity::find_by_id(id.as_uuid()).one(&self.db).await.map_err(db_error)?;
        row.as_ref().map(rows::webhook).transpose()
    }

    async fn delete(&self, id: WebhookId) -> Result<bool, BackendError> {
        let _turn = self.write_turn().await?;
        let deleted = webhook::Entity::delete_by_id(id.as_uuid()).exec(&self.db).await.map_err(db_error)?;
        Ok(deleted.rows_affected > 0)
    }

    async fn attempts(
        &self,
        webhook: WebhookId,
        before: Option<DeliveryId>,
        fetch: u32,
    ) -> Result<Vec<DeliveryAttempt>, BackendError> {
        let mut query = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::WebhookId.eq(webhook.as_uuid()))
            .order_by_desc(webhook_delivery::Column::Id)
            .limit(u64::from(fetch));
        if let Some(before) = before {
            query = query.filter(webhook_delivery::Column::Id.lt(before.as_uuid()));
        }
        query.all(&self.db).await.map_err(db_error)?.into_iter().map(rows::attempt).collect()
    }

    async fn schedule_retry(
        &self,
        webhook: WebhookId,
        delivery: DeliveryId,
        at: Timestamp,
    ) -> Result<Option<ScheduledRetry>, BackendError> {
        let attempt = webhook_delivery::Entity::find_by_id(delivery.as_uuid())
            .filter(webhook_delivery::Column::WebhookId.eq(webhook.as_uuid()))
            .one(&self.db)
            .await
            .map_err(db_error)?;
        let Some(attempt) = attempt else { return Ok(None) };
        let position = FeedPosition::new(attempt.event_txid, attempt.event_seq);
        let retry = statements::schedule_retry(webhook, position, attempt.event_id, at)?;
        self.apply(None, vec![Change::Insert(retry)]).await?;
        Ok(Some(ScheduledRetry { event_id: orders_core::domain::EventId::from_uuid(attempt.event_id), due_at: at }))
    }

    async fn lease_fresh(
        &self,
        head: FeedPosition,
        now: Timestamp,
        lease: Lease,
    ) -> Result<Option<FreshLease>, BackendError> {
        if !self.any(statements::free_endpoints(head, now)).await? {
            return Ok(None);
        }
        let leased: Vec<webhook::Model> = self.returning(statements::lease_fresh(head, now, lease)).await?;
        let Some(row) = leased.into_iter().next() else { return Ok(None) };
        Ok(Some(FreshLease { endpoint: rows::endpoint(&row)?, cursor: rows::cursor(&row), lease }))
    }

    async fn record_fresh(
        &self,
        leased: &FreshLease,
        through: FeedPosition,
        attempts: &[DeliveryAttempt],
        retries: &[PendingRetry],
    ) -> Result<bool, BackendError> {
        let end = statements::end_lease(leased.endpoint.webhook.id, leased.lease.holder, through);
        let per = self.rows_per_insert();
        let mut changes = Vec::new();
        changes.push(Change::Attempts(attempts.to_vec()));
        changes.extend(statements::insert_retries(retries, per)?.into_iter().map(Change::Insert));
        self.apply(Some(Change::Update(end)), changes).await
    }

    async fn claim_retries(&self, now: Timestamp, lease: Lease, fetch: u32) -> Result<Vec<ClaimedRetry>, BackendError> {
        if !self.any(statements::due_retries(now, 1)).await? {
            return Ok(Vec::new());
        }
        let claimed: Vec<webhook_retry::Model> = self.returning(statements::claim_retries(now, lease, fetch)).await?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let endpoints: HashMap<uuid::Uuid, webhook::Model> = webhook::Entity::find()
            .filter(one_of(
                self.db.get_database_backend(),
                webhook::Column::Id,
                claimed.iter().map(|retry| retry.webhook_id).collect(),
            ))
            .all(&self.db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        let mut retries: Vec<ClaimedRetry> = claimed
            .iter()
            .filter_map(|retry| endpoints.get(&retry.webhook_id).map(|endpoint| rows::claimed(retry, endpoint)))
            .collect::<Result<_, _>>()?;
        retries.sort_by_key(|retry| (retry.endpoint.webhook.id, retry.position));
        Ok(retries)
    }

    async fn record_retries(&self, holder: WorkerId, outcomes: &[RetryOutcome]) -> Result<(), BackendError> {
        let attempts: Vec<DeliveryAttempt> = outcomes.iter().filter_map(|outcome| outcome.attempt.clone()).collect();
        let mut changes = vec![Change::Attempts(attempts)];
        for outcome in outcomes {
            let (webhook, position) = (outcome.webhook, outcome.position);
            changes.push(match outcome.then {
                AfterRetry::RetryAt(at) => Change::Update(statements::reschedule(webhook, position, holder, at)),
                _ => Change::Delete(statements::drop_retry(webhook, position, holder)),
            });
            if let Some(status) = outcome.then.endpoint_status() {
                changes.push(Change::Update(statements::set_status(webhook, status)));
            }
        }
        self.apply(None, changes).await.map(|_| ())
    }
}

impl SqlStore {
    /// Rows per `INSERT` of the worker's steps: one on SQLite, whose writer then prepares
    /// each statement once; all in one on PostgreSQL, one round trip.
    fn rows_per_insert(&self) -> usize {
        if self.sqlite_writer.is_some() { 1 } else { usize::MAX }
    }
}
