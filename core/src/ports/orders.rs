//! Where orders are kept, and the unit of work that places or cancels one atomically:
//! core decides what happens, in what order; the store makes it all-or-nothing.

use super::BackendError;
use super::idempotency::{Claim, KeyClaim};
use crate::domain::{
    Order, OrderId, OrderRequestLine, Price, ProductId, ProductName, Quantity, Sku, Timestamp, User, UserId,
};
use async_trait::async_trait;

/// A product's details as they were when its stock was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenProduct {
    pub sku: Sku,
    pub name: ProductName,
    pub price: Price,
}

/// What [`OrderTx::take_stock`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockTake {
    /// Every line's stock went down by its quantity: the customer as stored now, and
    /// each line's product as it was, in the order of the lines.
    Taken { customer: User, products: Vec<TakenProduct> },
    /// No user has the customer's id.
    UnknownCustomer,
    /// No product has this id.
    Missing(ProductId),
    /// Fewer units of this product are in stock than its line asks for.
    Short { product_id: ProductId, available: i64 },
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Opens a unit of work. Its changes are visible to others only after
    /// [`OrderTx::commit`]; dropping it undoes them. `Backend` if none can be opened.
    async fn begin(&self) -> Result<Box<dyn OrderTx>, BackendError>;

    /// The order with this id, lines in the customer's order; `None` if there is none;
    /// `Backend` on failure.
    async fn by_id(&self, id: OrderId) -> Result<Option<Order>, BackendError>;

    /// Up to `fetch` orders, newest first, starting after (older than) `before`; only
    /// `user`'s if given. `Backend` on failure.
    async fn list(&self, user: Option<UserId>, before: Option<OrderId>, fetch: u32)
    -> Result<Vec<Order>, BackendError>;
}

/// One all-or-nothing unit of work on orders and stock. Every method returns `Backend`
/// when the store fails; the caller then drops the unit, undoing all of it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OrderTx: Send {
    /// Remembers `claim.key` for `claim.user` as placing `claim.order_id`, unless the
    /// key is taken: then `Existing` with what was recorded under it, or `InUse` while
    /// another unit that holds it has not finished within the store's wait limit.
    async fn claim_key(&mut self, claim: &KeyClaim) -> Result<Claim, BackendError>;

    /// Reads `customer` as stored now (the tier that prices the order is the one the
    /// customer has when the stock is taken), and takes each line's quantity of its
    /// product if that many are in stock, with conditional steps that never let stock
    /// go below zero whatever the concurrency, locking products in the order of `lines`
    /// (core passes them in product-id order, one order for every unit, so that
    /// concurrent units cannot deadlock). One call, so that a store may do it all in
    /// one round trip. `UnknownCustomer` comes first; `Missing` or `Short` names the
    /// first line that cannot be served; the unit may then hold other lines' stock and
    /// must be dropped.
    async fn take_stock(&mut self, customer: UserId, lines: &[OrderRequestLine]) -> Result<StockTake, BackendError>;

    /// Stores `order` with its lines.
    async fn insert_order(&mut self, order: &Order) -> Result<(), BackendError>;

    /// Marks the order cancelled at `at` if it is placed: `true`; `false` if there is
    /// no such order or it is already cancelled (then nothing changed). Of two units
    /// cancelling one order, exactly one gets `true`.
    async fn mark_cancelled(&mut self, order: OrderId, at: Timestamp) -> Result<bool, BackendError>;

    /// Gives `quantity` units of `product` back to stock.
    async fn return_stock(&mut self, product: ProductId, quantity: Quantity) -> Result<(), BackendError>;

    /// Makes every change of this unit durable and visible, or none of them.
    async fn commit(self: Box<Self>) -> Result<(), BackendError>;
}
