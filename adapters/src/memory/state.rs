//! The in-memory store's data, behind its one lock.

use orders_core::domain::{
    DeliveryAttempt, DeliveryId, Email, Endpoint, Event, FeedEvent, FeedPosition, IdempotencyRecord, Order, OrderId,
    Product, ProductId, Sku, Timestamp, User, UserId, WebhookId,
};
use orders_core::ports::{Claim, KeyClaim, Lease, PendingRetry};
use std::collections::{BTreeMap, HashMap};

#[derive(Default)]
pub(super) struct State {
    pub users: HashMap<UserId, User>,
    pub user_emails: HashMap<Email, UserId>,
    /// Ordered by id, which is creation order.
    pub products: BTreeMap<ProductId, Product>,
    pub product_skus: HashMap<Sku, ProductId>,
    /// Ordered by id, which is creation order.
    pub orders: BTreeMap<OrderId, Order>,
    pub idempotency_keys: HashMap<(UserId, String), (IdempotencyRecord, Timestamp)>,
    pub login_attempts: HashMap<Email, LoginWindow>,
    /// The outbox, in feed order: `(0, n)` for the n-th event ever recorded.
    pub events: Vec<FeedEvent>,
    pub events_recorded: i64,
    /// Ordered by id, which is creation order.
    pub webhooks: BTreeMap<WebhookId, StoredWebhook>,
    pub retries: BTreeMap<(WebhookId, FeedPosition), StoredRetry>,
    /// Ordered by id, which is time order.
    pub attempts: BTreeMap<DeliveryId, DeliveryAttempt>,
}

/// An endpoint, where its deliveries are, and who holds it.
pub(super) struct StoredWebhook {
    pub endpoint: Endpoint,
    pub cursor: FeedPosition,
    pub lease: Option<Lease>,
    /// Until when it was last leased, so that the one leased longest ago goes first.
    pub leased_until: Option<Timestamp>,
}

/// A retry, whether an admin asked for it, and who claimed it.
pub(super) struct StoredRetry {
    pub retry: PendingRetry,
    pub manual: bool,
    pub lease: Option<Lease>,
}

/// The logins counted for one email in its current window.
pub(super) struct LoginWindow {
    pub started_at: Timestamp,
    pub attempts: u32,
}

impl State {
    /// Appends `event` to the outbox.
    pub fn record(&mut self, event: Event) {
        self.events_recorded += 1;
        self.events.push(FeedEvent { position: FeedPosition::new(0, self.events_recorded), event });
    }

    /// Records `record` under `claim`'s key unless the key is taken.
    pub fn claim_key(&mut self, claim: &KeyClaim, record: IdempotencyRecord) -> Claim {
        let slot = (claim.user, claim.key.as_str().to_owned());
        match self.idempotency_keys.get(&slot) {
            Some((existing, _)) => Claim::Existing(existing.clone()),
            None => {
                self.idempotency_keys.insert(slot, (record, claim.at));
                Claim::Claimed
            }
        }
    }
}
