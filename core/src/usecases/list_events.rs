//! Following the event feed: admins read the events after a position, oldest first; the
//! feed's head says where it ends now (for long polling); old events are purged.

use super::{Actor, Service};
use crate::domain::{FeedPage, FeedPosition, Limit};
use crate::ports::BackendError;

#[derive(Debug, thiserror::Error)]
pub enum ListEventsError {
    #[error("only an admin may read the event feed")]
    Forbidden,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Service {
    /// Up to `limit` events after `after` (from the oldest kept when `None`), and the
    /// position to read on from: the last event's, or `after` itself when no event
    /// followed it yet.
    pub async fn list_events(
        &self,
        actor: &Actor,
        after: Option<FeedPosition>,
        limit: Limit,
    ) -> Result<FeedPage, ListEventsError> {
        if !actor.is_admin() {
            return Err(ListEventsError::Forbidden);
        }
        let events = self.ports.events.read(after, limit.get()).await?;
        let next = events.last().map_or(after.unwrap_or(FeedPosition::START), |event| event.position);
        Ok(FeedPage { items: events.into_iter().map(|event| event.event).collect(), next })
    }

    /// Where the feed ends now: the last position a reader can be given.
    pub async fn feed_head(&self) -> Result<Option<FeedPosition>, BackendError> {
        self.ports.events.head().await
    }

    /// Forgets the events older than the deployment's retention, with their webhook
    /// deliveries; returns how many events.
    pub async fn purge_events(&self) -> Result<u64, BackendError> {
        let cutoff = self.ports.clock.now() - self.settings.event_retention.as_delta();
        self.ports.events.purge_before(cutoff).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Event, FeedEvent, Role, Tier};
    use crate::usecases::test_support::*;
    use mockall::predicate::eq;

    #[tokio::test]
    async fn a_customer_may_not_read_the_feed() {
        let ports = MockPorts::new();
        let customer = Actor::User(user(Tier::Premium, Role::Customer));
        let result = ports.service().list_events(&customer, None, Limit::default()).await;
        assert!(matches!(result, Err(ListEventsError::Forbidden)));
    }

    #[tokio::test]
    async fn the_next_position_is_the_last_events_or_else_the_one_asked_for() {
        let widget = product("W", 100, 3);
        let at = FeedPosition::new(7, 40);
        let mut ports = MockPorts::new();
        let one = FeedEvent { position: FeedPosition::new(9, 2), event: Event::product_created(&widget) };
        let returned = one.clone();
        ports
            .events
            .expect_read()
            .with(eq(Some(at)), eq(20))
            .times(1)
            .returning(move |_, _| Ok(vec![returned.clone()]));
        ports.events.expect_read().with(eq(Some(one.position)), eq(20)).returning(|_, _| Ok(vec![]));
        ports.events.expect_read().with(eq(None), eq(20)).returning(|_, _| Ok(vec![]));
        let service = ports.service();
        let page = service.list_events(&Actor::Operator, Some(at), Limit::default()).await.unwrap();
        assert_eq!((page.items, page.next), (vec![one.event.clone()], one.position));
        let caught_up = service.list_events(&Actor::Operator, Some(one.position), Limit::default()).await.unwrap();
        assert_eq!((caught_up.items.len(), caught_up.next), (0, one.position), "a feed has no last page");
        let empty = service.list_events(&Actor::Operator, None, Limit::default()).await.unwrap();
        assert_eq!(empty.next, FeedPosition::START);
    }

    #[tokio::test]
    async fn events_older_than_the_retention_are_purged() {
        let mut ports = MockPorts::new();
        let cutoff = fixed_now() - chrono::TimeDelta::days(30);
        ports.events.expect_purge_before().with(eq(cutoff)).times(1).returning(|_| Ok(3));
        assert_eq!(ports.service().purge_events().await.unwrap(), 3);
    }
}
