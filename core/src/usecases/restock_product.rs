//! Raising a product's stock: admins only, in one atomic step.

use super::{Actor, Service};
use crate::domain::{Product, ProductId, RestockQuantity, Stock};
use crate::ports::{BackendError, RestockOutcome};

#[derive(Debug, thiserror::Error)]
pub enum RestockError {
    #[error("only an admin may restock products")]
    Forbidden,
    #[error("product not found")]
    NotFound,
    #[error("the product has {stock} in stock; restocking would pass the maximum of {max}", max = Stock::MAX)]
    StockLimit { stock: i64 },
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Service {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn restock_product(
        &self,
        actor: &Actor,
        id: ProductId,
        quantity: RestockQuantity,
    ) -> Result<Product, RestockError> {
        if !actor.is_admin() {
            return Err(RestockError::Forbidden);
        }
        let now = self.ports.clock.now();
        match self.ports.products.restock(id, quantity, now).await? {
            RestockOutcome::Restocked(product) => Ok(product),
            RestockOutcome::NotFound => Err(RestockError::NotFound),
            RestockOutcome::WouldExceedMax { stock } => Err(RestockError::StockLimit { stock }),
        }
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
        let result =
            ports.service().restock_product(&customer, ProductId::generate(), RestockQuantity::new(1).unwrap()).await;
        assert!(matches!(result, Err(RestockError::Forbidden)));
    }

    #[tokio::test]
    async fn each_outcome_of_the_store_has_its_answer() {
        let mut ports = MockPorts::new();
        let widget = product("W", 100, 5);
        let restocked = Product { stock: Stock::new(8).unwrap(), ..widget.clone() };
        let mut outcomes = vec![
            RestockOutcome::Restocked(restocked),
            RestockOutcome::NotFound,
            RestockOutcome::WouldExceedMax { stock: Stock::MAX },
        ];
        ports.products.expect_restock().times(3).returning(move |_, _, _| Ok(outcomes.remove(0)));
        let service = ports.service();
        let three = RestockQuantity::new(3).unwrap();
        let restock = || service.restock_product(&Actor::Operator, widget.id, three);
        assert_eq!(restock().await.unwrap().stock.units(), 8);
        assert!(matches!(restock().await, Err(RestockError::NotFound)));
        assert!(matches!(restock().await, Err(RestockError::StockLimit { stock: Stock::MAX })));
    }
}
