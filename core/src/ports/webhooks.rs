//! Webhooks: where endpoints and their deliveries are kept ([`WebhookStore`]), and how a
//! delivery reaches an endpoint ([`WebhookSender`]).
//!
//! Delivery state lives in the store, so deliveries go on across restarts, and several
//! servers can share the work: an endpoint's fresh events, and each retry, are leased
//! to one worker at a time ([`Lease`]); a worker that dies lets its lease run out, and
//! another delivers again (at least once).

use super::BackendError;
use crate::domain::{
    AttemptResult, DeliveryAttempt, DeliveryId, Endpoint, EventId, FeedPosition, Timestamp, Webhook, WebhookId,
    WebhookStatus, WebhookUrl, WorkerId,
};
use async_trait::async_trait;
use std::time::Duration;

/// Work leased to one worker until a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    pub holder: WorkerId,
    pub until: Timestamp,
}

/// An endpoint leased to a worker, to deliver the events after `cursor`, the position
/// up to which its events were delivered (or given to retries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreshLease {
    pub endpoint: Endpoint,
    pub cursor: FeedPosition,
    pub lease: Lease,
}

/// A delivery to try again: one event, to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRetry {
    pub webhook: WebhookId,
    pub position: FeedPosition,
    pub event_id: EventId,
    /// Attempts that failed so far.
    pub failures: u32,
    pub first_attempt_at: Timestamp,
    pub due_at: Timestamp,
}

/// A retry claimed by a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedRetry {
    pub endpoint: Endpoint,
    pub position: FeedPosition,
    pub event_id: EventId,
    pub failures: u32,
    pub first_attempt_at: Timestamp,
    /// Asked for by an admin: one attempt, made even while the endpoint is failing.
    pub manual: bool,
    pub lease: Lease,
}

/// What becomes of a claimed retry after its attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterRetry {
    /// Delivered: the retry is done, and its endpoint is active (again).
    Delivered,
    /// Failed: try again then.
    RetryAt(Timestamp),
    /// Failed for the whole retry window: the retry is given up and its endpoint marked
    /// failing.
    GiveUp,
    /// A retry an admin asked for failed: it is done, nothing else changes.
    Done,
}

impl AfterRetry {
    /// What the endpoint's status becomes, if it changes.
    pub fn endpoint_status(self) -> Option<WebhookStatus> {
        match self {
            AfterRetry::Delivered => Some(WebhookStatus::Active),
            AfterRetry::GiveUp => Some(WebhookStatus::Failing),
            AfterRetry::RetryAt(_) | AfterRetry::Done => None,
        }
    }

    /// Whether the retry is over (and its row goes).
    pub fn ends_the_retry(self) -> bool {
        !matches!(self, AfterRetry::RetryAt(_))
    }
}

/// A claimed retry's attempt, and what becomes of the retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryOutcome {
    pub webhook: WebhookId,
    pub position: FeedPosition,
    /// `None` when the event was purged meanwhile: the retry is dropped.
    pub attempt: Option<DeliveryAttempt>,
    pub then: AfterRetry,
}

/// A retry an admin asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduledRetry {
    pub event_id: EventId,
    pub due_at: Timestamp,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Adds `endpoint`, active, its events to be delivered from after `cursor`.
    /// `Backend` on failure.
    async fn insert(&self, endpoint: &Endpoint, cursor: FeedPosition) -> Result<(), BackendError>;

    /// Up to `fetch` endpoints in id order, after `after`. `Backend` on failure.
    async fn list(&self, after: Option<WebhookId>, fetch: u32) -> Result<Vec<Webhook>, BackendError>;

    /// The endpoint with this id, `None` if there is none. `Backend` on failure.
    async fn by_id(&self, id: WebhookId) -> Result<Option<Webhook>, BackendError>;

    /// Removes the endpoint with its attempts and retries: `true`; `false` if there is
    /// none. A delivery in flight may still arrive. `Backend` on failure.
    async fn delete(&self, id: WebhookId) -> Result<bool, BackendError>;

    /// Up to `fetch` of `webhook`'s attempts, newest first, older than `before`.
    /// `Backend` on failure.
    async fn attempts(
        &self,
        webhook: WebhookId,
        before: Option<DeliveryId>,
        fetch: u32,
    ) -> Result<Vec<DeliveryAttempt>, BackendError>;

    /// Has the event of `webhook`'s attempt `delivery` tried again from `at` on: a
    /// retry already pending becomes due at `at` (and keeps its schedule); otherwise a
    /// retry of one attempt is added, which is made even while the endpoint is failing.
    /// `None` if `webhook` has no such attempt. `Backend` on failure.
    async fn schedule_retry(
        &self,
        webhook: WebhookId,
        delivery: DeliveryId,
        at: Timestamp,
    ) -> Result<Option<ScheduledRetry>, BackendError>;

    /// Leases to `lease.holder` one active endpoint whose events before `head` are not
    /// all delivered and whose lease, if any, ran out before `now`; the one leased
    /// longest ago first. Two workers never hold one endpoint's lease at once (on
    /// PostgreSQL, `FOR UPDATE SKIP LOCKED`). `None` when there is none. `Backend` on
    /// failure.
    async fn lease_fresh(
        &self,
        head: FeedPosition,
        now: Timestamp,
        lease: Lease,
    ) -> Result<Option<FreshLease>, BackendError>;

    /// If `leased` is still held as it was given, in one atomic step: records
    /// `attempts`, adds `retries`, moves the endpoint's cursor to `through` and ends the
    /// lease: `true`. `false`, recording nothing, when the lease was lost (it ran out and
    /// another worker took it). `Backend` on failure.
    async fn record_fresh(
        &self,
        leased: &FreshLease,
        through: FeedPosition,
        attempts: &[DeliveryAttempt],
        retries: &[PendingRetry],
    ) -> Result<bool, BackendError>;

    /// Claims for `lease` up to `fetch` retries due by `now` whose lease, if any, ran out,
    /// of active endpoints (and those an admin asked for, of any endpoint), the earliest
    /// due first. A retry is claimed by one worker at a time (on PostgreSQL, `FOR UPDATE
    /// SKIP LOCKED`). `Backend` on failure.
    async fn claim_retries(&self, now: Timestamp, lease: Lease, fetch: u32) -> Result<Vec<ClaimedRetry>, BackendError>;

    /// Records each outcome's attempt, and does with its retry what it says, in one
    /// atomic step; a retry whose claim `holder` lost is left as it is. `Backend` on
    /// failure.
    async fn record_retries(&self, holder: WorkerId, outcomes: &[RetryOutcome]) -> Result<(), BackendError>;
}

/// One delivery's request, before it is signed: the event's id (the same on every
/// attempt, so that receivers can drop duplicates), the attempt's time and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookMessage {
    pub event_id: EventId,
    /// When the event happened: how far behind its delivery is.
    pub occurred_at: Timestamp,
    /// When it is sent (the `webhook-timestamp` it is signed with).
    pub timestamp: Timestamp,
    pub body: String,
}

/// How one message went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    pub result: AttemptResult,
    pub latency: Duration,
}

/// Why an endpoint's URL may not be delivered to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetRefused {
    #[error("url must be an https URL")]
    NotHttps,
    #[error("url's host {host} is (or resolves to) {address}, a loopback, private, link-local or unspecified address")]
    Private { host: String, address: std::net::IpAddr },
    #[error("url's host {host} does not resolve")]
    Unresolvable { host: String },
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// Whether deliveries may go to `url`: `https` (unless the deployment allows
    /// private targets) and a host that resolves only to addresses that are not
    /// loopback, private, link-local or unspecified (the same check is made again
    /// before each delivery, on the addresses then connected to).
    async fn check_target(&self, url: &WebhookUrl) -> Result<(), TargetRefused>;

    /// Sends each message to `endpoint`, signed with its secret, several at once; one
    /// outcome per message, in their order. Never fails as a whole: a message that
    /// cannot be sent has a `Failed` outcome.
    async fn send(&self, endpoint: &Endpoint, messages: Vec<WebhookMessage>) -> Vec<SendOutcome>;
}
