//! Webhooks: admins add endpoints that are sent the events they subscribe to, list
//! and remove them, read each endpoint's delivery attempts and have one sent again.

use super::ApiTags;
use super::body::JsonBody;
use super::cursors::{CursorKey, Listing};
use super::dto::documented::{PageLimit, UuidText};
use super::dto::pages::page_request;
use super::dto::webhooks::{
    CreateWebhookRequest, CreatedWebhookResponse, DeliveryPage, ScheduledRetryResponse, WebhookPage,
};
use super::errors::ApiError;
use super::errors::operations::{
    CreateWebhookErrors, DeleteWebhookErrors, ListWebhookDeliveriesErrors, ListWebhooksErrors,
    RetryWebhookDeliveryErrors,
};
use super::security::Caller;
use orders_core::domain::{DeliveryId, WebhookId};
use orders_core::usecases::Service;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

pub struct WebhooksApi {
    pub service: Service,
    pub cursors: CursorKey,
}

#[derive(ApiResponse)]
pub enum CreateWebhookAnswer {
    /// The endpoint was added, active; the events that follow will be delivered to it.
    /// `secret` is shown only here.
    #[oai(status = 201)]
    Created(Json<CreatedWebhookResponse>),
}

#[derive(ApiResponse)]
pub enum WebhookPageAnswer {
    /// A page of endpoints, oldest first.
    #[oai(status = 200)]
    Ok(Json<WebhookPage>),
}

#[derive(ApiResponse)]
pub enum DeleteWebhookAnswer {
    /// The endpoint was removed, with its deliveries; nothing more is sent to it.
    #[oai(status = 204)]
    Deleted,
}

#[derive(ApiResponse)]
pub enum DeliveryPageAnswer {
    /// A page of the endpoint's delivery attempts, newest first.
    #[oai(status = 200)]
    Ok(Json<DeliveryPage>),
}

#[derive(ApiResponse)]
pub enum RetryAnswer {
    /// The event will be sent to the endpoint again, from `due_at` on.
    #[oai(status = 202)]
    Accepted(Json<ScheduledRetryResponse>),
}

#[OpenApi(tag = "ApiTags::Webhooks")]
impl WebhooksApi {
    /// Add a webhook endpoint
    ///
    /// Admins only. Each event of the types listed that occurs from now on is `POST`ed to
    /// `url` as JSON (the same `Event` the feed lists), following the Standard Webhooks
    /// specification: `webhook-id` (the event's id, the same on every retry: drop
    /// duplicates by it), `webhook-timestamp` (Unix seconds of the attempt) and
    /// `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of
    /// `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the bytes of `secret` after
    /// `whsec_`). An answer with a 2xx status is a delivery; anything else (another
    /// status, no answer within 10 seconds, a redirect, which is not followed) is tried
    /// again with exponential backoff and jitter, from about 5 seconds up to an hour
    /// apart, for 24 hours; then the endpoint is marked `failing`. Delivery is at least
    /// once; events are sent in feed order, several at a time, so they may arrive out
    /// of order, and a retry arrives after later events: order them by the feed, or by
    /// `occurred_at`. `url` must be `https` and must not be, or resolve to, a loopback,
    /// private, link-local or unspecified address (checked now and on every delivery).
    #[oai(path = "/v1/webhooks", method = "post", operation_id = "createWebhook")]
    async fn create_webhook(
        &self,
        caller: Caller,
        body: JsonBody<CreateWebhookRequest>,
    ) -> Result<CreateWebhookAnswer, ApiError<CreateWebhookErrors>> {
        let new = body.0.try_into_domain()?;
        let created = self.service.create_webhook(&caller.actor(&self.service).await?, new).await?;
        Ok(CreateWebhookAnswer::Created(Json(created.into())))
    }

    /// List webhook endpoints
    ///
    /// Admins only. Oldest first; secrets are never shown again.
    #[oai(path = "/v1/webhooks", method = "get", operation_id = "listWebhooks")]
    async fn list_webhooks(
        &self,
        caller: Caller,
        /// Endpoints per page, 1 to 100 (default 20).
        limit: Query<Option<PageLimit>>,
        /// The `next_cursor` of the previous page; absent for the first page.
        cursor: Query<Option<String>>,
    ) -> Result<WebhookPageAnswer, ApiError<ListWebhooksErrors>> {
        let request = page_request(limit.0, cursor.0.as_deref(), &self.cursors, Listing::Webhooks)?;
        let page = self.service.list_webhooks(&caller.actor(&self.service).await?, request).await?;
        Ok(WebhookPageAnswer::Ok(Json(WebhookPage::new(page, &self.cursors))))
    }

    /// Remove a webhook endpoint
    ///
    /// Admins only. Its pending retries and its delivery attempts go with it; a delivery
    /// already in flight may still arrive.
    #[oai(path = "/v1/webhooks/:id", method = "delete", operation_id = "deleteWebhook")]
    async fn delete_webhook(
        &self,
        caller: Caller,
        /// The endpoint's id.
        id: Path<UuidText>,
    ) -> Result<DeleteWebhookAnswer, ApiError<DeleteWebhookErrors>> {
        let id = WebhookId::from_uuid(id.parse("id")?);
        self.service.delete_webhook(&caller.actor(&self.service).await?, id).await?;
        Ok(DeleteWebhookAnswer::Deleted)
    }

    /// List an endpoint's deliveries
    ///
    /// Admins only. Every attempt, newest first: the event, when, how it ended (the
    /// endpoint's status, or the error), how long it took, and when it will be tried
    /// again.
    #[oai(path = "/v1/webhooks/:id/deliveries", method = "get", operation_id = "listWebhookDeliveries")]
    async fn list_webhook_deliveries(
        &self,
        caller: Caller,
        /// The endpoint's id.
        id: Path<UuidText>,
        /// Attempts per page, 1 to 100 (default 20).
        limit: Query<Option<PageLimit>>,
        /// The `next_cursor` of the previous page; absent for the first page.
        cursor: Query<Option<String>>,
    ) -> Result<DeliveryPageAnswer, ApiError<ListWebhookDeliveriesErrors>> {
        let webhook = id.parse("id")?;
        let listing = Listing::Deliveries { webhook };
        let request = page_request(limit.0, cursor.0.as_deref(), &self.cursors, listing)?;
        let id = WebhookId::from_uuid(webhook);
        let page = self.service.list_webhook_deliveries(&caller.actor(&self.service).await?, id, request).await?;
        Ok(DeliveryPageAnswer::Ok(Json(DeliveryPage::new(page, &self.cursors, listing))))
    }

    /// Send a delivery's event again
    ///
    /// Admins only. The event of this attempt is sent to the endpoint again at once: if
    /// it has retries pending, the next one is made now and the schedule goes on;
    /// otherwise one more attempt is made, even while the endpoint is `failing` (a
    /// success makes it `active` again, and the events it missed follow).
    #[oai(
        path = "/v1/webhooks/:id/deliveries/:delivery_id/retry",
        method = "post",
        operation_id = "retryWebhookDelivery"
    )]
    async fn retry_webhook_delivery(
        &self,
        caller: Caller,
        /// The endpoint's id.
        id: Path<UuidText>,
        /// The delivery attempt's id.
        delivery_id: Path<UuidText>,
    ) -> Result<RetryAnswer, ApiError<RetryWebhookDeliveryErrors>> {
        let (webhook, delivery) = match (id.parse("id"), delivery_id.parse("delivery_id")) {
            (Ok(webhook), Ok(delivery)) => (WebhookId::from_uuid(webhook), DeliveryId::from_uuid(delivery)),
            (Err(mut refused), Err(also)) => {
                refused.extend_prefixed("", also);
                return Err(refused.into());
            }
            (Err(refused), _) | (_, Err(refused)) => return Err(refused.into()),
        };
        let actor = caller.actor(&self.service).await?;
        let scheduled = self.service.retry_webhook_delivery(&actor, webhook, delivery).await?;
        Ok(RetryAnswer::Accepted(Json(scheduled.into())))
    }
}
