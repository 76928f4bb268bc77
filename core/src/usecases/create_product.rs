//! Adding a product to the catalogue: admins only.

use super::{Actor, Service};
use crate::domain::{Price, Product, ProductId, ProductName, Sku, Stock, Violations};
use crate::ports::{BackendError, InsertProductError};

/// A product to add.
#[derive(Debug, Clone)]
pub struct NewProduct {
    pub sku: Sku,
    pub name: ProductName,
    pub price: Price,
    pub stock: Stock,
}

impl NewProduct {
    /// Validates raw input, naming every refused field.
    pub fn parse(sku: &str, name: &str, price_cents: i64, stock: i64) -> Result<Self, Violations> {
        let mut violations = Violations::default();
        let sku = violations.check("sku", Sku::parse(sku));
        let name = violations.check("name", ProductName::parse(name));
        let price = violations.check("price_cents", Price::from_cents(price_cents));
        let stock = violations.check("stock", Stock::new(stock));
        match (sku, name, price, stock) {
            (Some(sku), Some(name), Some(price), Some(stock)) => Ok(Self { sku, name, price, stock }),
            _ => Err(violations),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CreateProductError {
    #[error("only an admin may add products")]
    Forbidden,
    #[error("a product with this sku already exists")]
    SkuTaken,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Service {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_product(&self, actor: &Actor, new: NewProduct) -> Result<Product, CreateProductError> {
        if !actor.is_admin() {
            return Err(CreateProductError::Forbidden);
        }
        let now = self.ports.clock.now();
        let product = Product {
            id: ProductId::generate(),
            sku: new.sku,
            name: new.name,
            price: new.price,
            stock: new.stock,
            created_at: now,
            updated_at: now,
        };
        self.ports.products.insert(&product).await.map_err(|error| match error {
            InsertProductError::SkuTaken => CreateProductError::SkuTaken,
            InsertProductError::Backend(error) => CreateProductError::Backend(error),
        })?;
        Ok(product)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, Tier};
    use crate::usecases::test_support::*;

    fn widget() -> NewProduct {
        NewProduct::parse("W-1", "Widget", 1999, 10).unwrap()
    }

    #[test]
    fn parse_names_every_refused_field() {
        let violations = NewProduct::parse("bad sku", "", -1, 1_000_000_001).unwrap_err();
        let fields: Vec<_> = violations.fields().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["sku", "name", "price_cents", "stock"]);
    }

    #[tokio::test]
    async fn a_customer_is_forbidden_before_anything_is_written() {
        let ports = MockPorts::new();
        let customer = Actor::User(user(Tier::Premium, Role::Customer));
        let result = ports.service().create_product(&customer, widget()).await;
        assert!(matches!(result, Err(CreateProductError::Forbidden)));
    }

    #[tokio::test]
    async fn an_admin_adds_a_product_and_a_taken_sku_is_reported() {
        let mut ports = MockPorts::new();
        ports.products.expect_insert().times(1).returning(|_| Ok(()));
        let admin = Actor::User(user(Tier::Standard, Role::Admin));
        let product = ports.service().create_product(&admin, widget()).await.unwrap();
        assert_eq!((product.sku.as_str(), product.stock.units(), product.created_at), ("W-1", 10, fixed_now()));

        let mut ports = MockPorts::new();
        ports.products.expect_insert().returning(|_| Err(InsertProductError::SkuTaken));
        let result = ports.service().create_product(&Actor::Operator, widget()).await;
        assert!(matches!(result, Err(CreateProductError::SkuTaken)));
    }
}
