//! The in-memory [`WebhookStore`]: every step under the store's one lock.

use super::MemoryStore;
use super::state::{StoredRetry, StoredWebhook};
use async_trait::async_trait;
use orders_core::domain::{
    DeliveryAttempt, DeliveryId, Endpoint, FeedPosition, Timestamp, Webhook, WebhookId, WebhookStatus, WorkerId,
};
use orders_core::ports::{
    AfterRetry, BackendError, ClaimedRetry, FreshLease, Lease, PendingRetry, RetryOutcome, ScheduledRetry, WebhookStore,
};
use std::ops::Bound;

/// Whether `lease` is over (or there is none) at `now`.
fn free(lease: &Option<Lease>, now: Timestamp) -> bool {
    lease.is_none_or(|lease| lease.until < now)
}

fn held_by(lease: &Option<Lease>, holder: WorkerId) -> bool {
    lease.is_some_and(|lease| lease.holder == holder)
}

#[async_trait]
impl WebhookStore for MemoryStore {
    async fn insert(&self, endpoint: &Endpoint, cursor: FeedPosition) -> Result<(), BackendError> {
        let stored = StoredWebhook { endpoint: endpoint.clone(), cursor, lease: None, leased_until: None };
        self.state.lock().await.webhooks.insert(endpoint.webhook.id, stored);
        Ok(())
    }

    async fn list(&self, after: Option<WebhookId>, fetch: u32) -> Result<Vec<Webhook>, BackendError> {
        let state = self.state.lock().await;
        let after = after.map_or(Bound::Unbounded, Bound::Excluded);
        let listed = state.webhooks.range((after, Bound::Unbounded)).take(fetch as usize);
        Ok(listed.map(|(_, stored)| stored.endpoint.webhook.clone()).collect())
    }

    async fn by_id(&self, id: WebhookId) -> Result<Option<Webhook>, BackendError> {
        Ok(self.state.lock().await.webhooks.get(&id).map(|stored| stored.endpoint.webhook.clone()))
    }

    async fn delete(&self, id: WebhookId) -> Result<bool, BackendError> {
        let mut state = self.state.lock().await;
        state.retries.retain(|(webhook, _), _| *webhook != id);
        state.attempts.retain(|_, attempt| attempt.webhook != id);
        Ok(state.webhooks.remove(&id).is_some())
    }

    async fn attempts(
        &self,
        webhook: WebhookId,
        before: Option<DeliveryId>,
        fetch: u32,
    ) -> Result<Vec<DeliveryAttempt>, BackendError> {
        let state = self.state.lock().await;
        let before = before.map_or(Bound::Unbounded, Bound::Excluded);
        let newest_first = state.attempts.range((Bound::Unbounded, before)).rev().map(|(_, attempt)| attempt);
        Ok(newest_first.filter(|attempt| attempt.webhook == webhook).take(fetch as usize).cloned().collect())
    }

    async fn schedule_retry(
        &self,
        webhook: WebhookId,
        delivery: DeliveryId,
        at: Timestamp,
    ) -> Result<Option<ScheduledRetry>, BackendError> {
        let mut state = self.state.lock().await;
        let Some(attempt) = state.attempts.get(&delivery).filter(|attempt| attempt.webhook == webhook).cloned() else {
            return Ok(None);
        };
        let pending = StoredRetry {
            retry: PendingRetry {
                webhook,
                position: attempt.position,
                event_id: attempt.event_id,
                failures: 0,
                first_attempt_at: at,
                due_at: at,
            },
            manual: true,
            lease: None,
        };
        state.retries.entry((webhook, attempt.position)).and_modify(|retry| retry.retry.due_at = at).or_insert(pending);
        Ok(Some(ScheduledRetry { event_id: attempt.event_id, due_at: at }))
    }

    async fn lease_fresh(
        &self,
        head: FeedPosition,
        now: Timestamp,
        lease: Lease,
    ) -> Result<Option<FreshLease>, BackendError> {
        let mut state = self.state.lock().await;
        let chosen = state
            .webhooks
            .values_mut()
            .filter(|stored| {
                stored.endpoint.webhook.status == WebhookStatus::Active
                    && stored.cursor < head
                    && free(&stored.lease, now)
            })
            .min_by_key(|stored| stored.leased_until);
        Ok(chosen.map(|stored| {
            stored.lease = Some(lease);
            stored.leased_until = Some(lease.until);
            FreshLease { endpoint: stored.endpoint.clone(), cursor: stored.cursor, lease }
        }))
    }

    async fn record_fresh(
        &self,
        leased: &FreshLease,
        through: FeedPosition,
        attempts: &[DeliveryAttempt],
        retries: &[PendingRetry],
    ) -> Result<bool, BackendError> {
        let mut state = self.state.lock().await;
        let Some(stored) = state
            .webhooks
            .get_mut(&leased.endpoint.webhook.id)
            .filter(|stored| held_by(&stored.lease, leased.lease.holder))
        else {
            return Ok(false);
        };
        stored.cursor = through;
        stored.lease = None;
        state.attempts.extend(attempts.iter().map(|attempt| (attempt.id, attempt.clone())));
        for retry in retries {
            let pending = StoredRetry { retry: retry.clone(), manual: false, lease: None };
            state.retries.entry((retry.webhook, retry.position)).or_insert(pending);
        }
        Ok(true)
    }

    async fn claim_retries(&self, now: Timestamp, lease: Lease, fetch: u32) -> Result<Vec<ClaimedRetry>, BackendError> {
        let mut state = self.state.lock().await;
        let state = &mut *state;
        let mut due: Vec<(&(WebhookId, FeedPosition), &mut StoredRetry)> = state
            .retries
            .iter_mut()
            .filter(|(_, retry)| retry.retry.due_at <= now && free(&retry.lease, now))
            .filter(|((webhook, _), retry)| {
                retry.manual
                    || state.webhooks.get(webhook).is_some_and(|w| w.endpoint.webhook.status == WebhookStatus::Active)
            })
            .collect();
        due.sort_by_key(|(_, retry)| retry.retry.due_at);
        let mut claimed = Vec::new();
        for ((webhook, position), retry) in due.into_iter().take(fetch as usize) {
            let Some(stored) = state.webhooks.get(webhook) else { continue };
            retry.lease = Some(lease);
            claimed.push(ClaimedRetry {
                endpoint: stored.endpoint.clone(),
                position: *position,
                event_id: retry.retry.event_id,
                failures: retry.retry.failures,
                first_attempt_at: retry.retry.first_attempt_at,
                manual: retry.manual,
                lease,
            });
        }
        Ok(claimed)
    }

    async fn record_retries(&self, holder: WorkerId, outcomes: &[RetryOutcome]) -> Result<(), BackendError> {
        let mut state = self.state.lock().await;
        for outcome in outcomes {
            if let Some(attempt) = &outcome.attempt {
                state.attempts.insert(attempt.id, attempt.clone());
            }
            if let (Some(status), Some(stored)) =
                (outcome.then.endpoint_status(), state.webhooks.get_mut(&outcome.webhook))
            {
                stored.endpoint.webhook.status = status;
            }
            let slot = (outcome.webhook, outcome.position);
            if !state.retries.get(&slot).is_some_and(|retry| held_by(&retry.lease, holder)) {
                continue;
            }
            if outcome.then.ends_the_retry() {
                state.retries.remove(&slot);
            } else if let (AfterRetry::RetryAt(at), Some(retry)) = (outcome.then, state.retries.get_mut(&slot)) {
                retry.retry.failures += 1;
                retry.retry.due_at = at;
                retry.lease = None;
            }
        }
        Ok(())
    }
}
