//! The in-memory [`EventFeed`]: events are appended under the store's one lock by the
//! call that makes their change, so the feed's order is the order of the changes.

use super::MemoryStore;
use async_trait::async_trait;
use orders_core::domain::{FeedEvent, FeedPosition, Timestamp};
use orders_core::ports::{BackendError, EventFeed};

#[async_trait]
impl EventFeed for MemoryStore {
    async fn read(&self, after: Option<FeedPosition>, fetch: u32) -> Result<Vec<FeedEvent>, BackendError> {
        let state = self.state.lock().await;
        let from = after.map_or(0, |after| state.events.partition_point(|event| event.position <= after));
        Ok(state.events[from..].iter().take(fetch as usize).cloned().collect())
    }

    async fn at(&self, positions: &[FeedPosition]) -> Result<Vec<FeedEvent>, BackendError> {
        let state = self.state.lock().await;
        Ok(state.events.iter().filter(|event| positions.contains(&event.position)).cloned().collect())
    }

    async fn head(&self) -> Result<Option<FeedPosition>, BackendError> {
        Ok(self.state.lock().await.events.last().map(|event| event.position))
    }

    async fn purge_before(&self, cutoff: Timestamp) -> Result<u64, BackendError> {
        let mut state = self.state.lock().await;
        let newest = state.events.len().saturating_sub(1);
        let old = state.events.iter().take(newest).take_while(|event| event.event.occurred_at < cutoff).count();
        state.events.drain(..old);
        state.attempts.retain(|_, attempt| attempt.attempted_at >= cutoff);
        state.retries.retain(|_, retry| retry.retry.first_attempt_at >= cutoff);
        Ok(old as u64)
    }
}
