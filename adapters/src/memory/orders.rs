//! The in-memory [`OrderStore`]: each placement or cancellation checks and changes
//! everything under the store's one lock, so it is atomic, and serializable with every
//! other call.

use super::MemoryStore;
use super::state::State;
use async_trait::async_trait;
use orders_core::domain::{
    Event, IdempotencyRecord, Order, OrderContext, OrderId, OrderStatus, ProductId, ProductState, RecordedOutcome,
    Stock, Tier, Timestamp, UserId,
};
use orders_core::ports::{BackendError, KeyClaim, OrderStore, Placement};
use std::ops::Bound;

#[async_trait]
impl OrderStore for MemoryStore {
    #[tracing::instrument(level = "debug", name = "OrderStore::context", skip_all)]
    async fn context(&self, customer: UserId, products: &[ProductId]) -> Result<OrderContext, BackendError> {
        Ok(self.state.lock().await.context(customer, products))
    }

    #[tracing::instrument(level = "debug", name = "OrderStore::place", skip_all)]
    async fn place<'a>(
        &self,
        order: &Order,
        tier: Tier,
        claim: Option<&'a KeyClaim>,
    ) -> Result<Placement, BackendError> {
        let mut state = self.state.lock().await;
        if let Some(claim) = claim
            && let Some(record) = state.recorded(claim)
        {
            return Ok(Placement::KeyUsed(record));
        }
        let mut left = Vec::with_capacity(order.lines.len());
        let customer_holds = state.users.get(&order.user_id).is_some_and(|user| user.tier == tier);
        for line in &order.lines {
            let holds = state.products.get(&line.product_id).and_then(|p| {
                let same_terms = p.sku == line.sku && p.name == line.name && p.price == line.unit_price;
                let stock = Stock::held(p.stock.units() - line.quantity.units()).ok();
                stock.filter(|_| same_terms)
            });
            match holds {
                Some(stock) => left.push((line.product_id, stock)),
                None => break,
            }
        }
        if !customer_holds || left.len() != order.lines.len() {
            let products: Vec<ProductId> = order.lines.iter().map(|line| line.product_id).collect();
            return Ok(Placement::Stale(state.context(order.user_id, &products)));
        }
        let mut taken = Vec::with_capacity(left.len());
        for (product, stock) in left {
            let product = state.products.get_mut(&product).expect("checked above");
            product.stock = stock;
            taken.push(product.clone());
        }
        if let Some(claim) = claim {
            let record = IdempotencyRecord {
                fingerprint: claim.fingerprint.clone(),
                outcome: RecordedOutcome::Placed(order.id),
            };
            state.claim_key(claim, record);
        }
        state.orders.insert(order.id, order.clone());
        state.record(Event::order_placed(order));
        taken.iter().filter_map(|product| Event::stock_taken(product, order.created_at)).for_each(|e| state.record(e));
        Ok(Placement::Placed)
    }

    #[tracing::instrument(level = "debug", name = "OrderStore::cancel", skip_all)]
    async fn cancel(&self, order: &Order, at: Timestamp) -> Result<bool, BackendError> {
        let mut state = self.state.lock().await;
        if !state.orders.get(&order.id).is_some_and(|o| o.status == OrderStatus::Placed) {
            return Ok(false);
        }
        let mut returned = Vec::with_capacity(order.lines.len());
        for line in &order.lines {
            let product = state.products.get(&line.product_id).ok_or_else(|| {
                BackendError::failed(format!("product {} of a placed order has vanished", line.product_id))
            })?;
            let stock = Stock::held(product.stock.units().saturating_add(line.quantity.units()))
                .map_err(BackendError::failed)?;
            returned.push((line.product_id, stock));
        }
        for (product, stock) in returned {
            state.products.get_mut(&product).expect("checked above").stock = stock;
        }
        let stored = state.orders.get_mut(&order.id).expect("checked above");
        stored.status = OrderStatus::Cancelled;
        stored.cancelled_at = Some(at);
        state.record(Event::order_cancelled(order, at));
        Ok(true)
    }

    #[tracing::instrument(level = "debug", name = "OrderStore::by_id", skip_all)]
    async fn by_id(&self, id: OrderId) -> Result<Option<Order>, BackendError> {
        Ok(self.state.lock().await.orders.get(&id).cloned())
    }

    #[tracing::instrument(level = "debug", name = "OrderStore::list", skip_all)]
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

impl State {
    /// The customer's tier and those of `products` that exist, stock included.
    fn context(&self, customer: UserId, products: &[ProductId]) -> OrderContext {
        let products = products
            .iter()
            .filter_map(|id| self.products.get(id))
            .map(|p| ProductState {
                id: p.id,
                sku: p.sku.clone(),
                name: p.name.clone(),
                price: p.price,
                stock: Some(p.stock.units()),
            })
            .collect();
        OrderContext { tier: self.users.get(&customer).map(|user| user.tier), products }
    }

    /// What is recorded under `claim`'s key, if anything.
    fn recorded(&self, claim: &KeyClaim) -> Option<IdempotencyRecord> {
        let slot = (claim.user, claim.key.as_str().to_owned());
        self.idempotency_keys.get(&slot).map(|(record, _)| record.clone())
    }
}
