//! The in-memory store's data, behind its one lock.

use orders_core::domain::{Email, IdempotencyRecord, Order, OrderId, Product, ProductId, Sku, Timestamp, User, UserId};
use orders_core::ports::{Claim, KeyClaim};
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
}

/// The logins counted for one email in its current window.
pub(super) struct LoginWindow {
    pub started_at: Timestamp,
    pub attempts: u32,
}

impl State {
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
