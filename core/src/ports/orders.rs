//! Where orders are kept, and how one is placed or cancelled atomically. Core decides
//! what an order is and whether it may be placed
//! ([`decide`](crate::domain::placing::decide)); the store stores it, all or nothing,
//! only if what core decided on still holds, and otherwise answers with what holds now.
//!
//! No method holds anything across calls (no transaction, lock or connection is left
//! open between them), so a use case may call any port at any time without risk of
//! waiting on itself.

use super::BackendError;
use super::idempotency::KeyClaim;
use crate::domain::{IdempotencyRecord, Order, OrderContext, OrderId, ProductId, Tier, Timestamp, UserId};
use async_trait::async_trait;

/// What [`OrderStore::place`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// The order and its key are stored and every line's stock went down: durably.
    Placed,
    /// Nothing changed, because the customer's tier, or a line's sku, name or unit price,
    /// is not what the order was decided on, or a line's stock is short: the customer's
    /// tier and the order's products as they are now, stock included, read in the same
    /// transaction.
    Stale(OrderContext),
    /// Nothing changed: the key was used before, and this is what was recorded.
    KeyUsed(IdempotencyRecord),
    /// Nothing changed: another placement holding the key has not finished within the
    /// store's wait limit.
    KeyInUse,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// The customer's tier and those of `products` that exist, to decide an order on.
    /// The terms may come from a copy (a cache) and then the stock is not known: the
    /// store checks both in [`OrderStore::place`]. Takes no lock. `Backend` on failure.
    async fn context(&self, customer: UserId, products: &[ProductId]) -> Result<OrderContext, BackendError>;

    /// Stores `order` with its lines (and `claim`'s key, remembered as placing it) and
    /// takes each line's quantity from stock, all or nothing, if and only if the order's
    /// customer has `tier`, and every line's product has the line's sku, name and unit
    /// price and at least its quantity in stock. Stock never goes below zero, whatever
    /// the concurrency and however many processes share the store; products are locked
    /// in product-id order, so that concurrent placements cannot deadlock. A placement
    /// records its events in the same atomic step: [`Event::order_placed`](crate::domain::Event::order_placed), and
    /// [`Event::stock_taken`](crate::domain::Event::stock_taken) for each product it took stock of. Answers
    /// `Placed` only once the order is durable; `Stale`, `KeyUsed` or `KeyInUse` when
    /// nothing changed (see [`Placement`]); `Backend` on failure, when nothing changed
    /// unless the failure hid the outcome of the commit.
    async fn place<'a>(
        &self,
        order: &Order,
        tier: Tier,
        claim: Option<&'a KeyClaim>,
    ) -> Result<Placement, BackendError>;

    /// Marks `order` cancelled at `at` and gives each of its lines' quantity back to
    /// stock, and records [`Event::order_cancelled`](crate::domain::Event::order_cancelled), all or nothing, if it is placed:
    /// `true`, once durable; `false` if it is not
    /// placed (nothing changed). Of concurrent cancellations of one order, exactly one
    /// gets `true`. `Backend` on failure.
    async fn cancel(&self, order: &Order, at: Timestamp) -> Result<bool, BackendError>;

    /// The order with this id, lines in the customer's order; `None` if there is none;
    /// `Backend` on failure.
    async fn by_id(&self, id: OrderId) -> Result<Option<Order>, BackendError>;

    /// Up to `fetch` orders, newest first, starting after (older than) `before`; only
    /// `user`'s if given. `Backend` on failure.
    async fn list(&self, user: Option<UserId>, before: Option<OrderId>, fetch: u32)
    -> Result<Vec<Order>, BackendError>;
}
