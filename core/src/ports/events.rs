//! The event feed: the outbox the stores write in the same atomic step as each change
//! ([`Event`](crate::domain::Event)'s constructors say which), read back in feed order.

use super::BackendError;
use crate::domain::{FeedEvent, FeedPosition, Timestamp};
use async_trait::async_trait;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EventFeed: Send + Sync {
    /// Up to `fetch` events after `after` (from the oldest kept when `None`), in feed
    /// order, each with its subject as the change left it. MUST return only events whose
    /// change is durable, and MUST be gap-free: an event that is not returned now, when
    /// a later position is, is never returned afterwards either (it was rolled back), so
    /// a reader that reads on from the last position it was given sees every event
    /// exactly once, whatever the concurrency of the writers. `Backend` on failure.
    async fn read(&self, after: Option<FeedPosition>, fetch: u32) -> Result<Vec<FeedEvent>, BackendError>;

    /// The events kept at `positions`, in feed order (those purged are left out).
    /// `Backend` on failure.
    async fn at(&self, positions: &[FeedPosition]) -> Result<Vec<FeedEvent>, BackendError>;

    /// The position of the last event [`EventFeed::read`] would return now; `None`
    /// when there is none. `Backend` on failure.
    async fn head(&self) -> Result<Option<FeedPosition>, BackendError>;

    /// Forgets the events that occurred before `cutoff`, but the newest event however
    /// old (so that no event recorded later can take a position already given), with
    /// the webhook deliveries of them (attempts and retries); how many events.
    /// `Backend` on failure.
    async fn purge_before(&self, cutoff: Timestamp) -> Result<u64, BackendError>;
}
