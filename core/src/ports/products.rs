//! Where the product catalogue is kept (stock taken and given back by orders goes
//! through [`OrderStore`](super::OrderStore) instead).

use super::BackendError;
use crate::domain::{Product, ProductChanges, ProductId, RestockQuantity, Sku, Timestamp};
use async_trait::async_trait;

/// Why a product could not be added.
#[derive(Debug, thiserror::Error)]
pub enum InsertProductError {
    #[error("a product with this sku already exists")]
    SkuTaken,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// What a restock did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestockOutcome {
    /// The stock was raised; the product as it now is.
    Restocked(Product),
    NotFound,
    /// The stock would exceed [`Stock::MAX`](crate::domain::Stock::MAX); nothing changed.
    WouldExceedMax {
        stock: i64,
    },
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ProductStore: Send + Sync {
    /// Adds `product` and records [`Event::product_created`](crate::domain::Event::product_created)
    /// in the same atomic step. MUST return `SkuTaken` if its sku exists, even when two
    /// inserts race; `Backend` for anything else.
    async fn insert(&self, product: &Product) -> Result<(), InsertProductError>;

    /// The product with this id, `None` if there is none; `Backend` on failure.
    async fn by_id(&self, id: ProductId) -> Result<Option<Product>, BackendError>;

    /// The product with this sku, `None` if there is none; `Backend` on failure.
    async fn by_sku(&self, sku: &Sku) -> Result<Option<Product>, BackendError>;

    /// Those of `ids` that exist, in any order; `Backend` on failure.
    async fn by_ids(&self, ids: &[ProductId]) -> Result<Vec<Product>, BackendError>;

    /// Up to `fetch` products in id order, starting after `after`; `Backend` on failure.
    async fn list(&self, after: Option<ProductId>, fetch: u32) -> Result<Vec<Product>, BackendError>;

    /// Applies `changes`, sets `updated_at` to `at` and returns the product as it now
    /// is, recording [`Event::product_updated`](crate::domain::Event::product_updated) in
    /// the same atomic step; `None` if there is no such product; `Backend` on failure.
    async fn update_details(
        &self,
        id: ProductId,
        changes: &ProductChanges,
        at: Timestamp,
    ) -> Result<Option<Product>, BackendError>;

    /// Raises the stock by `quantity` in one atomic step (concurrent orders and
    /// restocks lose nothing), sets `updated_at`, and records
    /// [`Event::product_restocked`](crate::domain::Event::product_restocked) in the same
    /// step. `NotFound` if there is no such
    /// product, `WouldExceedMax` (changing nothing) if the stock would pass the
    /// maximum; `Backend` on failure.
    async fn restock(
        &self,
        id: ProductId,
        quantity: RestockQuantity,
        at: Timestamp,
    ) -> Result<RestockOutcome, BackendError>;
}
