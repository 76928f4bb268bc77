//! Adding, listing and removing webhook endpoints: admins only. An endpoint is sent the
//! events of the types it subscribes to that occur after it was added.

use super::{Actor, Service};
use crate::domain::{
    Endpoint, EventTypes, FeedPosition, Page, PageRequest, Violations, Webhook, WebhookId, WebhookSecret,
    WebhookStatus, WebhookUrl,
};
use crate::ports::{BackendError, TargetRefused};

/// An endpoint to add.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: WebhookUrl,
    pub events: EventTypes,
}

impl NewWebhook {
    /// Validates raw input, naming every refused field.
    pub fn parse(url: &str, events: &[String]) -> Result<Self, Violations> {
        let mut violations = Violations::default();
        let url = violations.check("url", WebhookUrl::parse(url));
        match EventTypes::parse(events) {
            Ok(events) => {
                violations.into_result(|| Self { url: url.expect("no violation, so the url parsed"), events })
            }
            Err(refused) => {
                violations.extend_prefixed("", refused);
                Err(violations)
            }
        }
    }
}

/// An endpoint just added, and its secret: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedWebhook {
    pub webhook: Webhook,
    pub secret: WebhookSecret,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateWebhookError {
    #[error("only an admin may add webhooks")]
    Forbidden,
    /// The URL may not be delivered to (its scheme, or the addresses it resolves to).
    #[error("{0}")]
    TargetRefused(#[from] TargetRefused),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

#[derive(Debug, thiserror::Error)]
pub enum ListWebhooksError {
    #[error("only an admin may list webhooks")]
    Forbidden,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

#[derive(Debug, thiserror::Error)]
pub enum DeleteWebhookError {
    #[error("only an admin may remove webhooks")]
    Forbidden,
    #[error("no webhook has this id")]
    NotFound,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Service {
    /// Adds an endpoint with a new secret, active, to be sent the events that follow.
    pub async fn create_webhook(&self, actor: &Actor, new: NewWebhook) -> Result<CreatedWebhook, CreateWebhookError> {
        if !actor.is_admin() {
            return Err(CreateWebhookError::Forbidden);
        }
        self.ports.webhook_sender.check_target(&new.url).await?;
        let webhook = Webhook {
            id: WebhookId::generate(),
            url: new.url,
            events: new.events,
            status: WebhookStatus::Active,
            created_at: self.ports.clock.now(),
        };
        let endpoint = Endpoint { webhook, secret: WebhookSecret::generate() };
        let from = self.ports.events.head().await?.unwrap_or(FeedPosition::START);
        self.ports.webhooks.insert(&endpoint, from).await?;
        Ok(CreatedWebhook { webhook: endpoint.webhook, secret: endpoint.secret })
    }

    /// The endpoints, oldest first.
    pub async fn list_webhooks(&self, actor: &Actor, request: PageRequest) -> Result<Page<Webhook>, ListWebhooksError> {
        if !actor.is_admin() {
            return Err(ListWebhooksError::Forbidden);
        }
        let after = request.after.map(|cursor| WebhookId::from_uuid(cursor.last_id()));
        let webhooks = self.ports.webhooks.list(after, request.fetch()).await?;
        Ok(Page::from_overfetch(webhooks, request, |w| w.id.as_uuid()))
    }

    /// Removes an endpoint: nothing more is sent to it.
    pub async fn delete_webhook(&self, actor: &Actor, id: WebhookId) -> Result<(), DeleteWebhookError> {
        if !actor.is_admin() {
            return Err(DeleteWebhookError::Forbidden);
        }
        if self.ports.webhooks.delete(id).await? { Ok(()) } else { Err(DeleteWebhookError::NotFound) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EventType, Role, Tier};
    use crate::usecases::test_support::*;
    use mockall::predicate::{always, eq};

    fn new_webhook() -> NewWebhook {
        NewWebhook::parse("https://hooks.example.com/in", &["order.placed".to_owned()]).unwrap()
    }

    #[test]
    fn parse_names_every_refused_field() {
        let refused = NewWebhook::parse("ftp://x", &["order.placed".to_owned(), "nope".to_owned()]).unwrap_err();
        let fields: Vec<_> = refused.fields().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["url", "events[1]"]);
    }

    #[tokio::test]
    async fn an_admin_adds_an_endpoint_that_starts_after_the_feeds_head_with_a_secret_of_its_own() {
        let head = FeedPosition::new(3, 99);
        let mut ports = MockPorts::new();
        ports.webhook_sender.expect_check_target().times(1).returning(|_| Ok(()));
        ports.events.expect_head().returning(move || Ok(Some(head)));
        ports.webhooks.expect_insert().withf(move |_, from| *from == head).times(1).returning(|_, _| Ok(()));
        let created = ports.service().create_webhook(&Actor::Operator, new_webhook()).await.unwrap();
        assert_eq!(created.webhook.status, WebhookStatus::Active);
        assert_eq!(created.webhook.events.kinds(), [EventType::OrderPlaced]);
        assert!(created.secret.as_str().starts_with("whsec_"));
    }

    #[tokio::test]
    async fn a_refused_target_or_a_customer_adds_nothing() {
        let mut ports = MockPorts::new();
        ports.webhook_sender.expect_check_target().returning(|_| Err(TargetRefused::NotHttps));
        ports.webhooks.expect_insert().times(0);
        let service = ports.service();
        let refused = service.create_webhook(&Actor::Operator, new_webhook()).await;
        assert!(matches!(refused, Err(CreateWebhookError::TargetRefused(TargetRefused::NotHttps))));
        let customer = Actor::User(user(Tier::Standard, Role::Customer));
        assert!(matches!(service.create_webhook(&customer, new_webhook()).await, Err(CreateWebhookError::Forbidden)));
    }

    #[tokio::test]
    async fn removing_an_unknown_endpoint_is_not_found() {
        let mut ports = MockPorts::new();
        ports.webhooks.expect_delete().with(always()).returning(|_| Ok(false));
        let result = ports.service().delete_webhook(&Actor::Operator, WebhookId::generate()).await;
        assert!(matches!(result, Err(DeleteWebhookError::NotFound)));
        let mut ports = MockPorts::new();
        let id = WebhookId::generate();
        ports.webhooks.expect_delete().with(eq(id)).times(1).returning(|_| Ok(true));
        ports.service().delete_webhook(&Actor::Operator, id).await.unwrap();
    }
}
