//! The in-memory [`OrderStore`] and its unit of work, which holds the store's lock and
//! an undo log.

use super::MemoryStore;
use super::state::State;
use async_trait::async_trait;
use orders_core::domain::{
    IdempotencyRecord, Order, OrderId, OrderRequestLine, OrderStatus, ProductId, Quantity, RecordedOutcome, Stock,
    Timestamp, UserId,
};
use orders_core::ports::{BackendError, Claim, KeyClaim, OrderStore, OrderTx, StockTake, TakenProduct};
use std::ops::Bound;
use tokio::sync::OwnedMutexGuard;

#[async_trait]
impl OrderStore for MemoryStore {
    async fn begin(&self) -> Result<Box<dyn OrderTx>, BackendError> {
        let state = self.state.clone().lock_owned().await;
        Ok(Box::new(MemoryTx { state, undo: Vec::new() }))
    }

    async fn by_id(&self, id: OrderId) -> Result<Option<Order>, BackendError> {
        Ok(self.state.lock().await.orders.get(&id).cloned())
    }

    async fn list(
        &self,
        user: Option<UserId>,
        before: Option<OrderId>,
        fetch: u32,
    ) -> Result<Vec<Order>, BackendError> {
        let state = self.state.lock().await;
        let before = before.map_or(Bound::Unbounded, Bound::Excluded);
        Ok(state
            .orders
            .range((Bound::Unbounded, before))
            .rev()
            .map(|(_, order)| order)
            .filter(|order| user.is_none_or(|user| order.user_id == user))
            .take(fetch as usize)
            .cloned()
            .collect())
    }
}

/// How to take back one change of an uncommitted unit.
enum Undo {
    Stock(ProductId, Stock),
    Order(OrderId, Option<Order>),
    Key(UserId, String),
}

struct MemoryTx {
    state: OwnedMutexGuard<State>,
    undo: Vec<Undo>,
}

impl MemoryTx {
    fn set_stock(&mut self, product: ProductId, stock: Stock) {
        if let Some(p) = self.state.products.get_mut(&product) {
            self.undo.push(Undo::Stock(product, p.stock));
            p.stock = stock;
        }
    }
}

#[async_trait]
impl OrderTx for MemoryTx {
    async fn claim_key(&mut self, claim: &KeyClaim) -> Result<Claim, BackendError> {
        let record = IdempotencyRecord {
            fingerprint: claim.fingerprint.clone(),
            outcome: RecordedOutcome::Placed(claim.order_id),
        };
        let answer = self.state.claim_key(claim, record);
        if answer == Claim::Claimed {
            self.undo.push(Undo::Key(claim.user, claim.key.as_str().to_owned()));
        }
        Ok(answer)
    }

    async fn take_stock(&mut self, customer: UserId, lines: &[OrderRequestLine]) -> Result<StockTake, BackendError> {
        let Some(customer) = self.state.users.get(&customer).cloned() else {
            return Ok(StockTake::UnknownCustomer);
        };
        let mut taken = Vec::with_capacity(lines.len());
        for line in lines {
            let Some(p) = self.state.products.get(&line.product_id) else {
                return Ok(StockTake::Missing(line.product_id));
            };
            let Ok(left) = Stock::new(p.stock.units() - line.quantity.units()) else {
                return Ok(StockTake::Short { product_id: line.product_id, available: p.stock.units() });
            };
            taken.push(TakenProduct { sku: p.sku.clone(), name: p.name.clone(), price: p.price });
            self.set_stock(line.product_id, left);
        }
        Ok(StockTake::Taken { customer, products: taken })
    }

    async fn insert_order(&mut self, order: &Order) -> Result<(), BackendError> {
        let previous = self.state.orders.insert(order.id, order.clone());
        self.undo.push(Undo::Order(order.id, previous));
        Ok(())
    }

    async fn mark_cancelled(&mut self, order: OrderId, at: Timestamp) -> Result<bool, BackendError> {
        let Some(o) = self.state.orders.get_mut(&order).filter(|o| o.status == OrderStatus::Placed) else {
            return Ok(false);
        };
        let previous = o.clone();
        o.status = OrderStatus::Cancelled;
        o.cancelled_at = Some(at);
        self.undo.push(Undo::Order(order, Some(previous)));
        Ok(true)
    }

    async fn return_stock(&mut self, product: ProductId, quantity: Quantity) -> Result<(), BackendError> {
        let Some(p) = self.state.products.get(&product) else {
            return Err(BackendError::failed(format!("product {product} of a placed order has vanished")));
        };
        let stock = Stock::new(p.stock.units() + quantity.units()).map_err(BackendError::failed)?;
        self.set_stock(product, stock);
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<(), BackendError> {
        self.undo.clear();
        Ok(())
    }
}

impl Drop for MemoryTx {
    fn drop(&mut self) {
        while let Some(undo) = self.undo.pop() {
            match undo {
                Undo::Stock(product, stock) => {
                    if let Some(p) = self.state.products.get_mut(&product) {
                        p.stock = stock;
                    }
                }
                Undo::Order(id, Some(previous)) => {
                    self.state.orders.insert(id, previous);
                }
                Undo::Order(id, None) => {
                    self.state.orders.remove(&id);
                }
                Undo::Key(user, key) => {
                    self.state.idempotency_keys.remove(&(user, key));
                }
            }
        }
    }
}
