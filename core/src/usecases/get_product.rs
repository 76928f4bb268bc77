//! Reading one product, by id (from the catalogue, which may be a replica) or by sku
//! (from the store itself): anyone may.

use super::Service;
use crate::domain::{Product, ProductId, Sku};
use crate::ports::BackendError;

#[derive(Debug, thiserror::Error)]
pub enum GetProductError {
    #[error("product not found")]
    NotFound,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Service {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get_product(&self, id: ProductId) -> Result<Product, GetProductError> {
        self.ports.catalogue.by_id(id).await?.ok_or(GetProductError::NotFound)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn product_by_sku(&self, sku: &Sku) -> Result<Product, GetProductError> {
        self.ports.products.by_sku(sku).await?.ok_or(GetProductError::NotFound)
    }
}
