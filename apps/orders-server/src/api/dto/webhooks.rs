//! Webhooks on the wire: a new endpoint, the endpoint as it is (with its secret once,
//! when added), its delivery attempts, and a retry asked for.

use super::events::EventTypeDto;
use super::pages::next_cursor;
use crate::api::cursors::{CursorKey, Listing};
use chrono::{DateTime, Utc};
use orders_core::domain::{AttemptResult, DeliveryAttempt, Page, Violations, Webhook, WebhookStatus};
use orders_core::ports::ScheduledRetry;
use orders_core::usecases::{CreatedWebhook, NewWebhook};
use poem_openapi::{Enum, Object};
use serde::Deserialize;
use uuid::Uuid;

/// An endpoint to add.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(rename = "NewWebhook")]
pub struct CreateWebhookRequest {
    /// Where deliveries are `POST`ed: an absolute `https` URL (`http` only where the
    /// deployment allows private targets) of at most 2,000 characters, without
    /// credentials or a fragment, whose host resolves to public addresses only.
    #[oai(validator(min_length = 1, max_length = 2000))]
    pub url: String,
    /// The event types to deliver: 1 to 6, each at most once.
    #[oai(validator(min_items = 1, max_items = 6, unique_items))]
    pub events: Vec<EventTypeDto>,
}

impl CreateWebhookRequest {
    pub fn try_into_domain(self) -> Result<NewWebhook, Violations> {
        let events: Vec<String> = self
            .events
            .into_iter()
            .map(|kind| orders_core::domain::EventType::from(kind).as_str().to_owned())
            .collect();
        NewWebhook::parse(&self.url, &events)
    }
}

/// Whether an endpoint is being delivered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "WebhookStatus", rename_all = "lowercase")]
pub enum WebhookStatusDto {
    /// Events are delivered as they come.
    Active,
    /// A delivery kept failing for 24 hours: nothing is sent until a retry asked for
    /// with `retryWebhookDelivery` succeeds; the events meanwhile wait in the feed.
    Failing,
}

impl From<WebhookStatus> for WebhookStatusDto {
    fn from(status: WebhookStatus) -> Self {
        match status {
            WebhookStatus::Active => Self::Active,
            WebhookStatus::Failing => Self::Failing,
        }
    }
}

/// A webhook endpoint.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Webhook")]
pub struct WebhookResponse {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<EventTypeDto>,
    pub status: WebhookStatusDto,
    pub created_at: DateTime<Utc>,
}

impl From<Webhook> for WebhookResponse {
    fn from(webhook: Webhook) -> Self {
        Self {
            id: webhook.id.as_uuid(),
            url: webhook.url.as_str().to_owned(),
            events: webhook.events.kinds().iter().map(|kind| (*kind).into()).collect(),
            status: webhook.status.into(),
            created_at: webhook.created_at,
        }
    }
}

/// An endpoint just added, with the secret its deliveries are signed with: shown only
/// here, keep it.
#[derive(Debug, Clone, Object)]
#[oai(rename = "CreatedWebhook")]
pub struct CreatedWebhookResponse {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<EventTypeDto>,
    pub status: WebhookStatusDto,
    pub created_at: DateTime<Utc>,
    /// `whsec_` and base64: the Standard Webhooks secret to verify deliveries with
    /// (`webhook-signature`).
    pub secret: String,
}

impl From<CreatedWebhook> for CreatedWebhookResponse {
    fn from(created: CreatedWebhook) -> Self {
        let WebhookResponse { id, url, events, status, created_at } = created.webhook.into();
        Self { id, url, events, status, created_at, secret: created.secret.as_str().to_owned() }
    }
}

/// A page of endpoints, oldest first.
#[derive(Debug, Clone, Object)]
#[oai(rename = "WebhookPage")]
pub struct WebhookPage {
    pub items: Vec<WebhookResponse>,
    /// Pass as `?cursor=` to read the next page; `null` on the last page.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

impl WebhookPage {
    pub fn new(page: Page<Webhook>, key: &CursorKey) -> Self {
        let next_cursor = next_cursor(page.next_cursor, key, Listing::Webhooks);
        Self { items: page.items.into_iter().map(Into::into).collect(), next_cursor }
    }
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "DeliveryOutcome", rename_all = "lowercase")]
pub enum DeliveryOutcomeDto {
    /// The endpoint answered 2xx.
    Delivered,
    /// The endpoint answered another status (`status_code`).
    Refused,
    /// No answer: `error` says why (refused target, connection, timeout).
    Failed,
}

/// One attempt to deliver an event to an endpoint.
#[derive(Debug, Clone, Object)]
#[oai(rename = "WebhookDelivery")]
pub struct DeliveryResponse {
    /// Pass to `retryWebhookDelivery` to send the event again.
    pub id: Uuid,
    /// The event delivered, as in the feed and in `webhook-id`.
    pub event_id: Uuid,
    pub event_type: EventTypeDto,
    pub attempted_at: DateTime<Utc>,
    pub outcome: DeliveryOutcomeDto,
    /// The endpoint's HTTP status; `null` when it did not answer.
    #[oai(nullable)]
    pub status_code: Option<i32>,
    /// What went wrong when the endpoint did not answer; else `null`.
    #[oai(nullable)]
    pub error: Option<String>,
    /// Milliseconds from sending the request to the end of the answer (or the failure).
    pub latency_ms: i64,
    /// When the event will be tried again; `null` when it will not (delivered, given up,
    /// or a retry asked for that failed).
    #[oai(nullable)]
    pub next_retry_at: Option<DateTime<Utc>>,
}

impl From<DeliveryAttempt> for DeliveryResponse {
    fn from(attempt: DeliveryAttempt) -> Self {
        let (outcome, error) = match &attempt.result {
            AttemptResult::Delivered { .. } => (DeliveryOutcomeDto::Delivered, None),
            AttemptResult::Refused { .. } => (DeliveryOutcomeDto::Refused, None),
            AttemptResult::Failed { error } => (DeliveryOutcomeDto::Failed, Some(error.clone())),
        };
        Self {
            id: attempt.id.as_uuid(),
            event_id: attempt.event_id.as_uuid(),
            event_type: attempt.event_type.into(),
            attempted_at: attempt.attempted_at,
            outcome,
            status_code: attempt.result.status().map(i32::from),
            error,
            latency_ms: i64::try_from(attempt.latency.as_millis()).unwrap_or(i64::MAX),
            next_retry_at: attempt.next_retry_at,
        }
    }
}

/// A page of delivery attempts, newest first.
#[derive(Debug, Clone, Object)]
#[oai(rename = "WebhookDeliveryPage")]
pub struct DeliveryPage {
    pub items: Vec<DeliveryResponse>,
    /// Pass as `?cursor=` to read the next page; `null` on the last page.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

impl DeliveryPage {
    pub fn new(page: Page<DeliveryAttempt>, key: &CursorKey, listing: Listing) -> Self {
        let next_cursor = next_cursor(page.next_cursor, key, listing);
        Self { items: page.items.into_iter().map(Into::into).collect(), next_cursor }
    }
}

/// A retry asked for: the event will be sent again from `due_at` on.
#[derive(Debug, Clone, Object)]
#[oai(rename = "ScheduledRetry")]
pub struct ScheduledRetryResponse {
    pub event_id: Uuid,
    pub due_at: DateTime<Utc>,
}

impl From<ScheduledRetry> for ScheduledRetryResponse {
    fn from(retry: ScheduledRetry) -> Self {
        Self { event_id: retry.event_id.as_uuid(), due_at: retry.due_at }
    }
}
