//! Editing a product's name or price: admins only. Orders already placed keep the
//! name and price they were placed with.

use super::{Actor, Service};
use crate::domain::{Price, Product, ProductChanges, ProductId, ProductName, Violations};
use crate::ports::BackendError;

impl ProductChanges {
    /// Validates raw input, naming every refused field.
    pub fn parse(name: Option<&str>, price_cents: Option<i64>) -> Result<Self, Violations> {
        let mut violations = Violations::default();
        let name = name.and_then(|name| violations.check("name", ProductName::parse(name)));
        let price = price_cents.and_then(|cents| violations.check("price_cents", Price::from_cents(cents)));
        violations.into_result(|| Self { name, price })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateProductError {
    #[error("only an admin may edit products")]
    Forbidden,
    #[error("product not found")]
    NotFound,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Service {
    /// Applies `changes`; with no changes, returns the product untouched.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update_product(
        &self,
        actor: &Actor,
        id: ProductId,
        changes: ProductChanges,
    ) -> Result<Product, UpdateProductError> {
        if !actor.is_admin() {
            return Err(UpdateProductError::Forbidden);
        }
        let updated = if changes.is_empty() {
            self.ports.products.by_id(id).await?
        } else {
            let now = self.ports.clock.now();
            self.ports.products.update_details(id, &changes, now).await?
        };
        updated.ok_or(UpdateProductError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, Tier};
    use crate::usecases::test_support::*;

    #[tokio::test]
    async fn a_customer_is_forbidden() {
        let ports = MockPorts::new();
        let customer = Actor::User(user(Tier::Standard, Role::Customer));
        let changes = ProductChanges::parse(Some("New"), None).unwrap();
        let result = ports.service().update_product(&customer, ProductId::generate(), changes).await;
        assert!(matches!(result, Err(UpdateProductError::Forbidden)));
    }

    #[tokio::test]
    async fn changes_are_stamped_with_the_time_and_unknown_products_are_not_found() {
        let mut ports = MockPorts::new();
        ports
            .products
            .expect_update_details()
            .withf(|_, changes, at| changes.price.map(Price::cents) == Some(5) && *at == fixed_now())
            .returning(|_, _, _| Ok(None));
        let changes = ProductChanges::parse(None, Some(5)).unwrap();
        let result = ports.service().update_product(&Actor::Operator, ProductId::generate(), changes).await;
        assert!(matches!(result, Err(UpdateProductError::NotFound)));
    }
}
