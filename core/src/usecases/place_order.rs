//! Placing an order: the rules of API.md "Placing an order", in one unit of work.
//!
//! Stock is taken in product-id order with conditional decrements, so
//! concurrent orders never oversell and never deadlock; the order is stored in the same
//! unit, and only then is anything committed. With an idempotency key, the key is
//! claimed in that unit too, so an order never exists without its key or a key without
//! its order.

use super::Service;
use crate::domain::pricing::{self, PriceOverflow};
use crate::domain::{
    IdempotencyKey, IdempotencyRecord, Order, OrderId, OrderItems, OrderLine, OrderStatus, ProductId, RecordedOutcome,
    Refusal, RequestFingerprint, UserId,
};
use crate::ports::{BackendError, Claim, KeyClaim, OrderTx, StockTake, TakenProduct};
use std::collections::HashMap;

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
    /// Places an order for `customer`, priced with their tier as stored when the stock
    /// is taken (read in the same unit of work, so no separate lookup is needed). With
    /// `key`, a retry of the same request answers what the first one did and places
    /// nothing new.
    pub async fn place_order(
        &self,
        customer: UserId,
        items: &OrderItems,
        key: Option<IdempotencyKey>,
    ) -> Result<Placed, PlaceOrderError> {
        let claim = key.map(|key| KeyClaim {
            user: customer,
            key,
            fingerprint: RequestFingerprint::of(items),
            order_id: OrderId::generate(),
            at: self.ports.clock.now(),
        });
        let mut tx = self.ports.orders.begin().await?;
        if let Some(claim) = &claim {
            match tx.claim_key(claim).await? {
                Claim::Claimed => {}
                Claim::Existing(record) => {
                    drop(tx);
                    return self.replay(claim, record).await;
                }
                Claim::InUse => return Err(PlaceOrderError::IdempotencyKeyInUse),
            }
        }
        match self.place_in(tx.as_mut(), customer, items, claim.as_ref()).await? {
            Ok(order) => {
                tx.commit().await?;
                Ok(Placed { order, replayed: false })
            }
            Err(failure) => {
                drop(tx);
                let refusal = self.explain(items, failure).await?;
                match &claim {
                    Some(claim) => self.remember_refusal(claim, refusal).await,
                    None => Err(PlaceOrderError::refused(refusal)),
                }
            }
        }
    }

    /// Takes the stock of every line and stores the order, inside `tx`. The inner
    /// `Err` is why the order cannot be placed; `tx` must then be dropped, as after an
    /// outer one.
    async fn place_in(
        &self,
        tx: &mut dyn OrderTx,
        customer: UserId,
        items: &OrderItems,
        claim: Option<&KeyClaim>,
    ) -> Result<Result<Order, Failure>, PlaceOrderError> {
        let in_order = items.in_product_order();
        let (customer, products) = match tx.take_stock(customer, &in_order).await? {
            StockTake::Taken { customer, products } => (customer, products),
            StockTake::UnknownCustomer => return Err(PlaceOrderError::UnknownCustomer),
            StockTake::Missing(product_id) => return Ok(Err(Failure::Missing(product_id))),
            StockTake::Short { product_id, available } => {
                let requested = in_order.iter().find(|l| l.product_id == product_id).map_or(0, |l| l.quantity.units());
                return Ok(Err(Failure::Short { product_id, requested, available }));
            }
        };
        if products.len() != in_order.len() {
            let (taken, asked) = (products.len(), in_order.len());
            return Err(
                BackendError::failed(format!("the store took the stock of {taken} lines out of {asked}")).into()
            );
        }
        let mut taken: HashMap<ProductId, TakenProduct> = in_order.iter().map(|l| l.product_id).zip(products).collect();
        let mut lines = Vec::with_capacity(taken.len());
        for line in items.lines() {
            let product = taken.remove(&line.product_id).expect("every line's stock was taken");
            let line_total = match pricing::line_total(product.price.money(), line.quantity) {
                Ok(total) => total,
                Err(overflow) => return Ok(Err(Failure::Overflow(overflow))),
            };
            lines.push(OrderLine {
                product_id: line.product_id,
                sku: product.sku,
                name: product.name,
                quantity: line.quantity,
                unit_price: product.price,
                line_total,
            });
        }
        let totals = match pricing::totals(lines.iter().map(|l| l.line_total), customer.tier) {
            Ok(totals) => totals,
            Err(overflow) => return Ok(Err(Failure::Overflow(overflow))),
        };
        let order = Order {
            id: claim.map_or_else(OrderId::generate, |c| c.order_id),
            user_id: customer.id,
            status: OrderStatus::Placed,
            currency: self.settings.currency,
            lines,
            totals,
            created_at: self.ports.clock.now(),
            cancelled_at: None,
        };
        tx.insert_order(&order).await?;
        Ok(Ok(order))
    }

    /// The refusal the rules give for `failure`. Rule 1 comes first: if any product of
    /// the request is missing, the answer names the first missing one in the
    /// customer's order, even when another line ran short earlier.
    async fn explain(&self, items: &OrderItems, failure: Failure) -> Result<Refusal, BackendError> {
        if let Failure::Overflow(overflow) = failure {
            return Ok(Refusal::PriceOverflow(overflow));
        }
        let ids: Vec<ProductId> = items.lines().iter().map(|l| l.product_id).collect();
        let existing: Vec<ProductId> = self.ports.products.by_ids(&ids).await?.into_iter().map(|p| p.id).collect();
        if let Some(&product_id) = ids.iter().find(|id| !existing.contains(id)) {
            return Ok(Refusal::ProductNotFound { product_id });
        }
        Ok(match failure {
            Failure::Missing(product_id) => Refusal::ProductNotFound { product_id },
            Failure::Short { product_id, requested, available } => {
                Refusal::OutOfStock { product_id, requested, available }
            }
            Failure::Overflow(overflow) => Refusal::PriceOverflow(overflow),
        })
    }

    /// Records a refusal under the claimed key, unless a concurrent request under the
    /// same key recorded its outcome first: then that outcome is the answer.
    async fn remember_refusal(&self, claim: &KeyClaim, refusal: Refusal) -> Result<Placed, PlaceOrderError> {
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

/// Why the unit of work stopped, before the rules' precedence is applied.
enum Failure {
    Missing(ProductId),
    Short { product_id: ProductId, requested: i64, available: i64 },
    Overflow(PriceOverflow),
}

#[cfg(test)]
#[path = "place_order_tests.rs"]
mod tests;
