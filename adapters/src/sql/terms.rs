//! The terms orders are decided on (each product's sku, name and price, each customer's
//! tier), kept from the last time they were read, so that deciding an order usually
//! needs no read at all. A copy may be out of date: the store checks the terms again
//! when it places the order, and a placement found stale refreshes them. Bounded, so a
//! catalogue of millions costs a fixed amount of memory.

use orders_core::domain::{OrderContext, ProductId, ProductState, Tier, UserId};
use quick_cache::sync::Cache;

/// How many products and how many customers are kept.
const KEPT: usize = 10_000;

pub(super) struct Terms {
    products: Cache<ProductId, ProductState>,
    tiers: Cache<UserId, Tier>,
}

impl Default for Terms {
    fn default() -> Self {
        Self { products: Cache::new(KEPT), tiers: Cache::new(KEPT) }
    }
}

impl Terms {
    /// What is known of `customer` and `products`, if every one of them is kept; the
    /// stock is not known.
    pub(super) fn context(&self, customer: UserId, products: &[ProductId]) -> Option<OrderContext> {
        let tier = self.tiers.get(&customer)?;
        let products = products.iter().map(|id| self.products.get(id)).collect::<Option<Vec<_>>>()?;
        Some(OrderContext { tier: Some(tier), products })
    }

    /// Keeps `context`'s terms, read now, for `customer`: not its stock, which changes
    /// with every order.
    pub(super) fn keep(&self, customer: UserId, context: &OrderContext) {
        if let Some(tier) = context.tier {
            self.tiers.insert(customer, tier);
        }
        for product in &context.products {
            self.products.insert(product.id, ProductState { stock: None, ..product.clone() });
        }
    }

    /// Forgets a product whose terms this process just changed.
    pub(super) fn forget_product(&self, id: ProductId) {
        self.products.remove(&id);
    }

    /// Forgets a customer whose tier this process just changed.
    pub(super) fn forget_customer(&self, id: UserId) {
        self.tiers.remove(&id);
    }
}
