//! Webhook rows to domain values and back.

use crate::sql::convert::{self, stored};
use crate::sql::entities::{webhook, webhook_delivery, webhook_retry};
use orders_core::domain::{
    AttemptResult, DeliveryAttempt, DeliveryId, Endpoint, EventId, EventType, EventTypes, FeedPosition, Webhook,
    WebhookId, WebhookSecret, WebhookStatus, WebhookUrl, WorkerId,
};
use orders_core::ports::{BackendError, ClaimedRetry, Lease};
use sea_orm::ActiveValue::Set;
use std::time::Duration;

pub(crate) fn webhook(row: &webhook::Model) -> Result<Webhook, BackendError> {
    Ok(Webhook {
        id: WebhookId::from_uuid(row.id),
        url: stored(WebhookUrl::stored(&row.url), "webhooks.url")?,
        events: stored(EventTypes::stored(&row.events), "webhooks.events")?,
        status: stored(WebhookStatus::parse(&row.status), "webhooks.status")?,
        created_at: row.created_at,
    })
}

pub(crate) fn endpoint(row: &webhook::Model) -> Result<Endpoint, BackendError> {
    Ok(Endpoint { webhook: webhook(row)?, secret: stored(WebhookSecret::stored(&row.secret), "webhooks.secret")? })
}

pub(crate) fn cursor(row: &webhook::Model) -> FeedPosition {
    FeedPosition::new(row.cursor_txid, row.cursor_seq)
}

/// The row of a new endpoint, its events delivered from after `cursor`.
pub(crate) fn new_webhook(endpoint: &Endpoint, cursor: FeedPosition) -> webhook::ActiveModel {
    let webhook = &endpoint.webhook;
    webhook::ActiveModel {
        id: Set(webhook.id.as_uuid()),
        url: Set(webhook.url.as_str().to_owned()),
        events: Set(webhook.events.to_stored()),
        secret: Set(endpoint.secret.as_str().to_owned()),
        status: Set(webhook.status.as_str().to_owned()),
        created_at: Set(webhook.created_at),
        cursor_txid: Set(cursor.group()),
        cursor_seq: Set(cursor.sequence()),
        lease_holder: Set(None),
        lease_until_ms: Set(None),
    }
}

pub(crate) fn attempt(row: webhook_delivery::Model) -> Result<DeliveryAttempt, BackendError> {
    let result = match (row.status_code, row.error) {
        (Some(status), _) => {
            let status = u16::try_from(status).map_err(BackendError::failed)?;
            if (200..300).contains(&status) {
                AttemptResult::Delivered { status }
            } else {
                AttemptResult::Refused { status }
            }
        }
        (None, error) => AttemptResult::Failed { error: error.unwrap_or_default() },
    };
    Ok(DeliveryAttempt {
        id: DeliveryId::from_uuid(row.id),
        webhook: WebhookId::from_uuid(row.webhook_id),
        event_id: EventId::from_uuid(row.event_id),
        event_type: stored(EventType::parse(&row.event_type), "webhook_deliveries.event_type")?,
        position: FeedPosition::new(row.event_txid, row.event_seq),
        attempted_at: row.attempted_at,
        result,
        latency: Duration::from_millis(u64::try_from(row.latency_ms).unwrap_or(0)),
        next_retry_at: row.next_retry_at,
    })
}

/// A retry row a worker claimed, with its endpoint's row.
pub(crate) fn claimed(row: &webhook_retry::Model, endpoint_row: &webhook::Model) -> Result<ClaimedRetry, BackendError> {
    let lease = match (row.lease_holder, row.lease_until_ms) {
        (Some(holder), Some(until)) => {
            Lease { holder: WorkerId::from_uuid(holder), until: convert::from_millis(until)? }
        }
        _ => return Err(BackendError::failed("a claimed retry has no lease")),
    };
    Ok(ClaimedRetry {
        endpoint: endpoint(endpoint_row)?,
        position: FeedPosition::new(row.event_txid, row.event_seq),
        event_id: EventId::from_uuid(row.event_id),
        failures: u32::try_from(row.failures).unwrap_or(0),
        first_attempt_at: convert::from_millis(row.first_attempt_at_ms)?,
        manual: row.manual,
        lease,
    })
}
