//! The event feed: admins follow what happens in the shop, oldest first, long polling
//! for what comes next.

use super::ApiTags;
use super::cursors::CursorKey;
use super::dto::documented::{PageLimit, WaitSeconds};
use super::dto::events::{EventPage, EventResponse};
use super::errors::ApiError;
use super::errors::operations::ListEventsErrors;
use super::security::Caller;
use crate::feed_watch::FeedWatch;
use orders_core::domain::{FeedPosition, Limit, Violations};
use orders_core::usecases::Service;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use std::time::Duration;
use tokio::time::Instant;

pub struct EventsApi {
    pub service: Service,
    pub cursors: CursorKey,
    pub feed: FeedWatch,
}

#[derive(ApiResponse)]
pub enum EventPageAnswer {
    /// The events after the cursor, oldest first, and the cursor to read on from.
    #[oai(status = 200)]
    Ok(Json<EventPage>),
}

/// What `?limit=`, `?cursor=` and `?wait=` ask for.
fn feed_request(
    limit: Option<PageLimit>,
    cursor: Option<&str>,
    wait: Option<WaitSeconds>,
    key: &CursorKey,
) -> Result<(Limit, Option<FeedPosition>, Duration), Violations> {
    let mut violations = Violations::default();
    let limit = limit.map_or(Some(Limit::default()), |limit| violations.check("limit", limit.parse()));
    let after = cursor.and_then(|cursor| violations.check("cursor", key.verify_position(cursor)));
    let wait = wait.map_or(Some(Duration::ZERO), |wait| violations.check("wait", wait.parse()));
    match (limit, wait) {
        (Some(limit), Some(wait)) if violations.is_empty() => Ok((limit, after, wait)),
        _ => Err(violations),
    }
}

#[OpenApi(tag = "ApiTags::Events")]
impl EventsApi {
    /// Follow the event feed
    ///
    /// Admins only. Every event (`order.placed`, `order.cancelled`, `product.created`,
    /// `product.updated`, `product.restocked`, `product.out_of_stock`) is recorded in
    /// the same transaction as its change, kept at least 30 days (the deployment's
    /// `--event-retention-days`), and listed oldest first in the order the changes
    /// committed. Without a cursor the feed starts at the oldest event kept.
    ///
    /// **A feed is not a list**: it has no last page. `next_cursor` is never `null`; it
    /// is where to read on from, and when `items` is empty it is the cursor you sent
    /// (or the feed's start), to ask again later. Following it, you see every event
    /// exactly once, whatever happens concurrently: an event never appears behind one
    /// already listed. With `wait`, a request that finds nothing new waits up to that
    /// many seconds for an event (answered within about a second of its commit, through
    /// any server of the deployment), then answers with what came, or an empty page
    /// (sooner when the server's connection idle timeout is shorter).
    #[oai(path = "/v1/events", method = "get", operation_id = "listEvents")]
    async fn list_events(
        &self,
        caller: Caller,
        /// Events per page, 1 to 100 (default 20).
        limit: Query<Option<PageLimit>>,
        /// The `next_cursor` of the previous page; absent to start at the oldest event kept.
        cursor: Query<Option<String>>,
        /// Seconds to wait for an event when none follows the cursor, 0 to 30 (default 0:
        /// answer at once).
        wait: Query<Option<WaitSeconds>>,
    ) -> Result<EventPageAnswer, ApiError<ListEventsErrors>> {
        let (limit, after, wait) = feed_request(limit.0, cursor.0.as_deref(), wait.0, &self.cursors)?;
        let actor = caller.actor(&self.service).await?;
        let deadline = Instant::now() + self.feed.wait_for(wait);
        let mut page = self.service.list_events(&actor, after, limit).await?;
        while page.items.is_empty() && Instant::now() < deadline && self.feed.wait_past(page.next, deadline).await {
            page = self.service.list_events(&actor, Some(page.next), limit).await?;
        }
        let items = page.items.into_iter().map(EventResponse::from).collect();
        Ok(EventPageAnswer::Ok(Json(EventPage { items, next_cursor: self.cursors.sign_position(page.next) })))
    }
}
