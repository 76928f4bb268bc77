//! An endpoint's deliveries: admins read every attempt, newest first, and may have the
//! event of an attempt sent again.

use super::{Actor, Service};
use crate::domain::{DeliveryAttempt, DeliveryId, Page, PageRequest, WebhookId};
use crate::ports::{BackendError, ScheduledRetry};

#[derive(Debug, thiserror::Error)]
pub enum ListDeliveriesError {
    #[error("only an admin may read webhook deliveries")]
    Forbidden,
    #[error("no webhook has this id")]
    NotFound,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

#[derive(Debug, thiserror::Error)]
pub enum RetryDeliveryError {
    #[error("only an admin may retry webhook deliveries")]
    Forbidden,
    #[error("this webhook has no delivery with this id")]
    NotFound,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Service {
    /// `webhook`'s delivery attempts, newest first.
    pub async fn list_webhook_deliveries(
        &self,
        actor: &Actor,
        webhook: WebhookId,
        request: PageRequest,
    ) -> Result<Page<DeliveryAttempt>, ListDeliveriesError> {
        if !actor.is_admin() {
            return Err(ListDeliveriesError::Forbidden);
        }
        if self.ports.webhooks.by_id(webhook).await?.is_none() {
            return Err(ListDeliveriesError::NotFound);
        }
        let before = request.after.map(|cursor| DeliveryId::from_uuid(cursor.last_id()));
        let attempts = self.ports.webhooks.attempts(webhook, before, request.fetch()).await?;
        Ok(Page::from_overfetch(attempts, request, |a| a.id.as_uuid()))
    }

    /// Has the event of `webhook`'s attempt `delivery` sent again now: with its pending
    /// retries if it has some, or as one more attempt, made even while the endpoint is
    /// failing (a success makes it active again).
    pub async fn retry_webhook_delivery(
        &self,
        actor: &Actor,
        webhook: WebhookId,
        delivery: DeliveryId,
    ) -> Result<ScheduledRetry, RetryDeliveryError> {
        if !actor.is_admin() {
            return Err(RetryDeliveryError::Forbidden);
        }
        let now = self.ports.clock.now();
        self.ports.webhooks.schedule_retry(webhook, delivery, now).await?.ok_or(RetryDeliveryError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EventId, Role, Tier};
    use crate::usecases::test_support::*;
    use mockall::predicate::eq;

    #[tokio::test]
    async fn deliveries_of_an_unknown_webhook_are_not_found_and_customers_are_forbidden() {
        let mut ports = MockPorts::new();
        ports.webhooks.expect_by_id().returning(|_| Ok(None));
        ports.webhooks.expect_attempts().times(0);
        let service = ports.service();
        let missing = service.list_webhook_deliveries(&Actor::Operator, WebhookId::generate(), PageRequest::default());
        assert!(matches!(missing.await, Err(ListDeliveriesError::NotFound)));
        let customer = Actor::User(user(Tier::Standard, Role::Customer));
        let forbidden = service.retry_webhook_delivery(&customer, WebhookId::generate(), DeliveryId::generate());
        assert!(matches!(forbidden.await, Err(RetryDeliveryError::Forbidden)));
    }

    #[tokio::test]
    async fn a_retry_is_scheduled_now_or_not_found() {
        let (webhook, delivery) = (WebhookId::generate(), DeliveryId::generate());
        let scheduled = ScheduledRetry { event_id: EventId::generate(), due_at: fixed_now() };
        let mut ports = MockPorts::new();
        ports
            .webhooks
            .expect_schedule_retry()
            .with(eq(webhook), eq(delivery), eq(fixed_now()))
            .returning(move |_, _, _| Ok(Some(scheduled)));
        ports.webhooks.expect_schedule_retry().returning(|_, _, _| Ok(None));
        let service = ports.service();
        assert_eq!(service.retry_webhook_delivery(&Actor::Operator, webhook, delivery).await.unwrap(), scheduled);
        let unknown = service.retry_webhook_delivery(&Actor::Operator, webhook, DeliveryId::generate()).await;
        assert!(matches!(unknown, Err(RetryDeliveryError::NotFound)));
    }
}
