//! Placing an order: the rules of the contract's "Placing an order".
//!
//! Core decides the order from what the store knows of the customer and the products
//! ([`decide`]), then asks the store to place it, all or nothing, only if what it was
//! decided on still holds: the customer's tier, each product's terms, enough stock.
//! When something changed, the store answers with what holds now and core decides
//! again; so the rules (which product is reported missing or short, pricing, the
//! discount) live here once, for every store. With an idempotency key, the key is
//! stored with the order in the same atomic step, so an order never exists without its
//! key or a key without its order.

use super::Service;
use crate::domain::placing::{Decision, OrderRequest, decide};
use crate::domain::{
    IdempotencyKey, IdempotencyRecord, Order, OrderId, OrderItems, ProductId, RecordedOutcome, Refusal,
    RequestFingerprint, UserId,
};
use crate::ports::{BackendError, Claim, KeyClaim, Placement};

/// How many times an order is placed at most (the first attempt included) while the
/// store keeps finding that something it was decided on changed; then the request
/// fails as unavailable. Prices and tiers change rarely; stock that runs short ends in
/// a refusal, not another attempt.
pub const PLACEMENT_ATTEMPTS: usize = 4;

/// A placed order, and whether it was placed by an earlier request with the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub order: Order,
    pub replayed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PlaceOrderError {
    /// The request cannot be served (rules 1 to 3); `replayed` if an earlier request
    /// with the same key was refused so.
    #[error("{reason}")]
    Refused { reason: Refusal, replayed: bool },
    #[error("this Idempotency-Key was used with a different request")]
    IdempotencyKeyReused,
    #[error("a request with this Idempotency-Key is still being processed")]
    IdempotencyKeyInUse,
    /// No user has the customer's id (their token outlived them).
    #[error("no user has this id")]
    UnknownCustomer,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl PlaceOrderError {
    fn refused(reason: impl Into<Refusal>) -> Self {
        Self::Refused { reason: reason.into(), replayed: false }
    }
}

impl Service {
    /// Places an order for `customer`, priced with their tier as it is when the stock is
    /// taken. With `key`, a retry of the same request answers what the first one did and
    /// places nothing new.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn place_order(
        &self,
        customer: UserId,
        items: &OrderItems,
        key: Option<IdempotencyKey>,
    ) -> Result<Placed, PlaceOrderError> {
        let at = self.ports.clock.now();
        let id = OrderId::generate();
        let claim = key.map(|key| KeyClaim {
            user: customer,
            key,
            fingerprint: RequestFingerprint::of(items),
            order_id: id,
            at,
        });
        let request = OrderRequest { id, customer, items, currency: self.settings.currency, at };
        let products: Vec<ProductId> = items.lines().iter().map(|line| line.product_id).collect();
        let mut known = self.ports.orders.context(customer, &products).await?;
        for _ in 0..PLACEMENT_ATTEMPTS {
            let (order, tier) = match decide(request, &known) {
                Decision::Place { order, tier } => (order, tier),
                Decision::Refuse(refusal) => return self.refuse(claim.as_ref(), refusal).await,
                Decision::UnknownCustomer => return Err(PlaceOrderError::UnknownCustomer),
            };
            match self.ports.orders.place(&order, tier, claim.as_ref()).await? {
                Placement::Placed => return Ok(Placed { order, replayed: false }),
                Placement::Stale(now) => known = now,
                Placement::KeyUsed(record) => {
                    return self.replay(claim.as_ref().expect("only a claimed key is used"), record).await;
                }
                Placement::KeyInUse => return Err(PlaceOrderError::IdempotencyKeyInUse),
            }
        }
        let changed =
            format!("the order's products or customer changed {PLACEMENT_ATTEMPTS} times while it was placed");
        Err(BackendError::unavailable(changed).into())
    }

    /// Refuses the request for `refusal`; with a key, remembers the refusal under it,
    /// unless a concurrent request under the same key recorded its outcome first: then
    /// that outcome is the answer.
    async fn refuse(&self, claim: Option<&KeyClaim>, refusal: Refusal) -> Result<Placed, PlaceOrderError> {
        let Some(claim) = claim else { return Err(PlaceOrderError::refused(refusal)) };
        match self.ports.idempotency.record_refusal(claim, refusal).await? {
            Claim::Claimed => Err(PlaceOrderError::refused(refusal)),
            Claim::Existing(record) => self.replay(claim, record).await,
            Claim::InUse => Err(PlaceOrderError::IdempotencyKeyInUse),
        }
    }

    /// What a retry answers: the first outcome, if it was the same request.
    async fn replay(&self, claim: &KeyClaim, record: IdempotencyRecord) -> Result<Placed, PlaceOrderError> {
        if record.fingerprint != claim.fingerprint {
            return Err(PlaceOrderError::IdempotencyKeyReused);
        }
        match record.outcome {
            RecordedOutcome::Placed(order_id) => {
                let order = self.ports.orders.by_id(order_id).await?.ok_or_else(|| {
                    BackendError::failed(format!("idempotency record names order {order_id}, which does not exist"))
                })?;
                Ok(Placed { order: order.as_placed(), replayed: true })
            }
            RecordedOutcome::Refused(reason) => Err(PlaceOrderError::Refused { reason, replayed: true }),
        }
    }
}

#[cfg(test)]
#[path = "place_order_tests.rs"]
mod tests;
