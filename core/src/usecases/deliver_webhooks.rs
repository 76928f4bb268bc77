//! Delivering events to webhooks, a round at a time, as a server's background worker
//! calls it: an endpoint's fresh events (those after its cursor, leased to this worker
//! alone), then the retries that are due (each claimed by one worker). Every attempt is
//! recorded; a failed one is tried again on the [`RetrySchedule`], and a delivery that
//! fails for its whole window marks its endpoint failing.
//!
//! The body of a delivery is the event as the API shows it: the caller renders it
//! (`present`), so that the feed and the deliveries share one serializer.

use super::Service;
use crate::domain::{
    AttemptResult, DeliveryAttempt, DeliveryId, Endpoint, Event, FeedEvent, FeedPosition, RetrySchedule, Timestamp,
    WorkerId,
};
use crate::ports::{AfterRetry, BackendError, ClaimedRetry, Lease, PendingRetry, RetryOutcome, WebhookMessage};
use chrono::TimeDelta;
use std::collections::HashMap;

/// How long a worker holds what it leased: longer than a round can take (every
/// delivery of a round has a timeout of its own), so that only a worker that died loses
/// its lease, and another delivers again.
pub const DELIVERY_LEASE: TimeDelta = TimeDelta::minutes(5);
/// Events read for one endpoint per round.
pub const FRESH_BATCH: u32 = 200;
/// Retries claimed per round.
pub const RETRY_BATCH: u32 = 100;

/// Renders an event as the body of its deliveries.
pub type Present<'a> = &'a (dyn Fn(&Event) -> String + Send + Sync);

impl Service {
    /// One round of deliveries by `worker`: one endpoint's fresh events, then the due
    /// retries. How many events it handled (0: nothing to do now).
    pub async fn deliver_webhooks(&self, worker: WorkerId, present: Present<'_>) -> Result<usize, BackendError> {
        let fresh = self.deliver_fresh_events(worker, present).await?;
        let retried = self.deliver_due_retries(worker, present).await?;
        Ok(fresh + retried)
    }

    async fn deliver_fresh_events(&self, worker: WorkerId, present: Present<'_>) -> Result<usize, BackendError> {
        let Some(head) = self.ports.events.head().await? else { return Ok(0) };
        let now = self.ports.clock.now();
        let lease = Lease { holder: worker, until: now + DELIVERY_LEASE };
        let Some(leased) = self.ports.webhooks.lease_fresh(head, now, lease).await? else { return Ok(0) };
        let events = self.ports.events.read(Some(leased.cursor), FRESH_BATCH).await?;
        let through = events.last().map_or(leased.cursor, |event| event.position);
        let subscribed = &leased.endpoint.webhook.events;
        let wanted: Vec<&FeedEvent> = events.iter().filter(|event| subscribed.contains(event.event.kind)).collect();
        let results = self.send(&leased.endpoint, &wanted, now, present).await;
        let schedule = self.settings.retry_schedule;
        let mut attempts = Vec::with_capacity(results.len());
        let mut retries = Vec::new();
        for (event, (result, latency)) in wanted.iter().zip(results) {
            let next_retry_at = (!result.delivered()).then(|| schedule.next_attempt(1, now, now, jitter())).flatten();
            let attempt = attempt_of(&leased.endpoint, event, now, result, latency, next_retry_at);
            if let Some(due_at) = next_retry_at {
                retries.push(PendingRetry {
                    webhook: attempt.webhook,
                    position: event.position,
                    event_id: event.event.id,
                    failures: 1,
                    first_attempt_at: now,
                    due_at,
                });
            }
            attempts.push(attempt);
        }
        self.ports.webhooks.record_fresh(&leased, through, &attempts, &retries).await?;
        Ok(events.len())
    }

    async fn deliver_due_retries(&self, worker: WorkerId, present: Present<'_>) -> Result<usize, BackendError> {
        let now = self.ports.clock.now();
        let lease = Lease { holder: worker, until: now + DELIVERY_LEASE };
        let claimed = self.ports.webhooks.claim_retries(now, lease, RETRY_BATCH).await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let positions: Vec<FeedPosition> = claimed.iter().map(|retry| retry.position).collect();
        let events: HashMap<FeedPosition, FeedEvent> =
            self.ports.events.at(&positions).await?.into_iter().map(|event| (event.position, event)).collect();
        let mut by_endpoint: Vec<(&Endpoint, Vec<&ClaimedRetry>)> = Vec::new();
        for retry in &claimed {
            match by_endpoint.iter_mut().find(|(endpoint, _)| endpoint.webhook.id == retry.endpoint.webhook.id) {
                Some((_, retries)) => retries.push(retry),
                None => by_endpoint.push((&retry.endpoint, vec![retry])),
            }
        }
        let mut outcomes = Vec::with_capacity(claimed.len());
        for (endpoint, retries) in by_endpoint {
            let kept: Vec<(&ClaimedRetry, &FeedEvent)> =
                retries.iter().filter_map(|retry| events.get(&retry.position).map(|event| (*retry, event))).collect();
            let wanted: Vec<&FeedEvent> = kept.iter().map(|(_, event)| *event).collect();
            let results = self.send(endpoint, &wanted, now, present).await;
            for ((retry, event), (result, latency)) in kept.iter().zip(results) {
                let then = self.after_retry(retry, &result, now);
                let next_retry_at = match then {
                    AfterRetry::RetryAt(at) => Some(at),
                    _ => None,
                };
                let attempt = attempt_of(endpoint, event, now, result, latency, next_retry_at);
                outcomes.push(RetryOutcome {
                    webhook: endpoint.webhook.id,
                    position: retry.position,
                    attempt: Some(attempt),
                    then,
                });
            }
            for retry in retries.iter().filter(|retry| !events.contains_key(&retry.position)) {
                outcomes.push(RetryOutcome {
                    webhook: endpoint.webhook.id,
                    position: retry.position,
                    attempt: None,
                    then: AfterRetry::Done,
                });
            }
        }
        self.ports.webhooks.record_retries(worker, &outcomes).await?;
        Ok(claimed.len())
    }

    /// What becomes of `retry` after an attempt that ended in `result` at `now`.
    fn after_retry(&self, retry: &ClaimedRetry, result: &AttemptResult, now: Timestamp) -> AfterRetry {
        if result.delivered() {
            return AfterRetry::Delivered;
        }
        if retry.manual {
            return AfterRetry::Done;
        }
        let schedule: RetrySchedule = self.settings.retry_schedule;
        match schedule.next_attempt(retry.failures + 1, retry.first_attempt_at, now, jitter()) {
            Some(at) => AfterRetry::RetryAt(at),
            None => AfterRetry::GiveUp,
        }
    }

    /// Sends `events` to `endpoint`, each rendered by `present`: one result per event.
    async fn send(
        &self,
        endpoint: &Endpoint,
        events: &[&FeedEvent],
        now: Timestamp,
        present: Present<'_>,
    ) -> Vec<(AttemptResult, std::time::Duration)> {
        if events.is_empty() {
            return Vec::new();
        }
        let messages = events
            .iter()
            .map(|event| WebhookMessage {
                event_id: event.event.id,
                occurred_at: event.event.occurred_at,
                timestamp: now,
                body: present(&event.event),
            })
            .collect();
        let mut outcomes = self.ports.webhook_sender.send(endpoint, messages).await;
        outcomes.resize_with(events.len(), || crate::ports::SendOutcome {
            result: AttemptResult::Failed { error: "the sender gave no outcome".to_owned() },
            latency: std::time::Duration::ZERO,
        });
        outcomes.into_iter().map(|outcome| (outcome.result, outcome.latency)).collect()
    }
}

fn attempt_of(
    endpoint: &Endpoint,
    event: &FeedEvent,
    at: Timestamp,
    result: AttemptResult,
    latency: std::time::Duration,
    next_retry_at: Option<Timestamp>,
) -> DeliveryAttempt {
    DeliveryAttempt {
        id: DeliveryId::generate(),
        webhook: endpoint.webhook.id,
        event_id: event.event.id,
        event_type: event.event.kind,
        position: event.position,
        attempted_at: at,
        result,
        latency,
        next_retry_at,
    }
}

/// A random number in `0.0..1.0`, to spread retries.
fn jitter() -> f64 {
    rand::random::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EventType, EventTypes, Webhook, WebhookId, WebhookSecret, WebhookStatus, WebhookUrl};
    use crate::ports::{FreshLease, SendOutcome};
    use crate::usecases::test_support::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    fn endpoint(types: &[&str]) -> Endpoint {
        let types: Vec<String> = types.iter().map(|t| t.to_string()).collect();
        Endpoint {
            webhook: Webhook {
                id: WebhookId::generate(),
                url: WebhookUrl::parse("https://hooks.example.com/").unwrap(),
                events: EventTypes::parse(&types).unwrap(),
                status: WebhookStatus::Active,
                created_at: fixed_now(),
            },
            secret: WebhookSecret::generate(),
        }
    }

    fn at(sequence: i64, event: Event) -> FeedEvent {
        FeedEvent { position: FeedPosition::new(0, sequence), event }
    }

    fn present(event: &Event) -> String {
        format!("{{\"id\":\"{}\"}}", event.id)
    }

    #[tokio::test]
    async fn fresh_events_of_subscribed_types_are_sent_and_failures_scheduled_then_the_cursor_moves_past_all() {
        let widget = product("W", 100, 0);
        let events = vec![
            at(1, Event::product_created(&widget)),
            at(2, Event::product_restocked(&widget)),
            at(3, Event::product_updated(&widget)),
        ];
        let endpoint = endpoint(&["product.created", "product.updated"]);
        let worker = WorkerId::generate();
        let mut ports = MockPorts::new();
        ports.events.expect_head().returning(|| Ok(Some(FeedPosition::new(0, 3))));
        let leased = FreshLease {
            endpoint: endpoint.clone(),
            cursor: FeedPosition::START,
            lease: Lease { holder: worker, until: fixed_now() + DELIVERY_LEASE },
        };
        let lease_given = leased.clone();
        ports
            .webhooks
            .expect_lease_fresh()
            .withf(move |_, _, lease| lease.holder == worker)
            .returning(move |_, _, _| Ok(Some(lease_given.clone())));
        let read = events.clone();
        ports.events.expect_read().returning(move |_, _| Ok(read.clone()));
        let sent = Arc::new(Mutex::new(Vec::new()));
        let seen = sent.clone();
        ports.webhook_sender.expect_send().times(1).returning(move |_, messages| {
            seen.lock().unwrap().extend(messages.iter().map(|m| m.event_id));
            vec![
                SendOutcome { result: AttemptResult::Delivered { status: 204 }, latency: Duration::from_millis(3) },
                SendOutcome { result: AttemptResult::Refused { status: 500 }, latency: Duration::from_millis(4) },
            ]
        });
        let (created, updated) = (events[0].event.id, events[2].event.id);
        ports
            .webhooks
            .expect_record_fresh()
            .withf(move |_, through, attempts, retries| {
                *through == FeedPosition::new(0, 3)
                    && attempts.len() == 2
                    && attempts[0].next_retry_at.is_none()
                    && attempts[1].next_retry_at == Some(retries[0].due_at)
                    && retries.len() == 1
                    && retries[0].event_id == updated
                    && retries[0].failures == 1
            })
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        ports.webhooks.expect_claim_retries().returning(|_, _, _| Ok(vec![]));
        let handled = ports.service().deliver_webhooks(worker, &present).await.unwrap();
        assert_eq!(handled, 3);
        assert_eq!(*sent.lock().unwrap(), [created, updated], "the restock was not subscribed to");
    }

    fn claimed(endpoint: &Endpoint, event: &FeedEvent, failures: u32, first: Timestamp, manual: bool) -> ClaimedRetry {
        ClaimedRetry {
            endpoint: endpoint.clone(),
            position: event.position,
            event_id: event.event.id,
            failures,
            first_attempt_at: first,
            manual,
            lease: Lease { holder: WorkerId::generate(), until: fixed_now() + DELIVERY_LEASE },
        }
    }

    #[tokio::test]
    async fn a_retry_that_keeps_failing_past_its_window_gives_up_and_a_manual_one_is_done_after_one_attempt() {
        let widget = product("W", 100, 0);
        let (old, recent, manual) = (
            at(1, Event::product_created(&widget)),
            at(2, Event::product_updated(&widget)),
            at(3, Event::product_restocked(&widget)),
        );
        let endpoint = endpoint(&["product.created", "product.updated", "product.restocked"]);
        let day_ago = fixed_now() - chrono::TimeDelta::hours(24);
        let claims = vec![
            claimed(&endpoint, &old, 12, day_ago, false),
            claimed(&endpoint, &recent, 1, fixed_now(), false),
            claimed(&endpoint, &manual, 0, fixed_now(), true),
        ];
        let mut ports = MockPorts::new();
        ports.events.expect_head().returning(|| Ok(None));
        ports.webhooks.expect_claim_retries().times(1).returning(move |_, _, _| Ok(claims.clone()));
        let kept = vec![old.clone(), recent.clone(), manual.clone()];
        ports.events.expect_at().returning(move |_| Ok(kept.clone()));
        ports.webhook_sender.expect_send().times(1).returning(|_, messages| {
            messages
                .iter()
                .map(|_| SendOutcome {
                    result: AttemptResult::Failed { error: "connection refused".into() },
                    latency: Duration::ZERO,
                })
                .collect()
        });
        let outcomes = Arc::new(Mutex::new(Vec::new()));
        let recorded = outcomes.clone();
        ports.webhooks.expect_record_retries().times(1).returning(move |_, outcomes| {
            recorded.lock().unwrap().extend(outcomes.iter().cloned());
            Ok(())
        });
        ports.service().deliver_webhooks(WorkerId::generate(), &present).await.unwrap();
        let outcomes = outcomes.lock().unwrap();
        let thens: Vec<_> = outcomes.iter().map(|o| o.then).collect();
        assert_eq!(thens[0], AfterRetry::GiveUp);
        assert!(matches!(thens[1], AfterRetry::RetryAt(at) if at > fixed_now()));
        assert_eq!(thens[2], AfterRetry::Done);
        assert!(outcomes.iter().all(|o| o.attempt.as_ref().is_some_and(|a| a.event_type != EventType::OrderPlaced)));
    }
}
