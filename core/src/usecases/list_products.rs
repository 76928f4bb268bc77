//! Browsing the catalogue (which may be a replica), oldest product first, a page at a
//! time: anyone may.

use super::Service;
use crate::domain::{Page, PageRequest, Product, ProductId};
use crate::ports::BackendError;

impl Service {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_products(&self, request: PageRequest) -> Result<Page<Product>, BackendError> {
        let after = request.after.map(|cursor| ProductId::from_uuid(cursor.last_id()));
        let products = self.ports.catalogue.list(after, request.fetch()).await?;
        Ok(Page::from_overfetch(products, request, |p| p.id.as_uuid()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Cursor, Limit};
    use crate::usecases::test_support::*;
    use mockall::predicate::eq;

    #[tokio::test]
    async fn asks_for_one_more_than_a_page_to_know_whether_another_follows() {
        let mut ports = MockPorts::new();
        let products: Vec<_> = (0..3).map(|n| product(&format!("P{n}"), 1, 1)).collect();
        let after = products[0].id;
        let returned = products[1..].to_vec();
        ports.products.expect_list().with(eq(Some(after)), eq(2)).returning(move |_, _| Ok(returned.clone()));
        let request = PageRequest { limit: Limit::new(1).unwrap(), after: Some(Cursor::after(after.as_uuid())) };
        let page = ports.service().list_products(request).await.unwrap();
        assert_eq!(page.items, products[1..2]);
        assert_eq!(page.next_cursor, Some(Cursor::after(products[1].id.as_uuid())));
    }
}
