//! [`ProductStore`] on SQL. Each change is a transaction that also records its event
//! (`product.created`, `product.updated`, `product.restocked`); restocking is one
//! conditional `UPDATE … RETURNING` in it.

use super::SqlStore;
use super::convert;
use super::entities::product;
use super::errors::{db_error, is_unique_violation};
use super::events::rows;
use super::one_of::one_of;
use async_trait::async_trait;
use orders_core::domain::{Event, Product, ProductChanges, ProductId, RestockQuantity, Sku, Stock, Timestamp};
use orders_core::ports::{BackendError, InsertProductError, ProductStore, RestockOutcome};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

#[async_trait]
impl ProductStore for SqlStore {
    #[tracing::instrument(level = "debug", name = "ProductStore::insert", skip_all)]
    async fn insert(&self, product: &Product) -> Result<(), InsertProductError> {
        let _turn = self.write_turn().await?;
        let event = rows::insert(&[Event::product_created(product)])?;
        let inserted = self
            .db
            .transaction(|txn| {
                let (row, event) = (convert::product_row(product), event.clone());
                Box::pin(async move {
                    product::Entity::insert(row).exec_without_returning(txn).await?;
                    txn.execute(&event).await.map(|_| ())
                })
            })
            .await;
        inserted.map_err(|error| {
            if is_unique_violation(&error) {
                InsertProductError::SkuTaken
            } else {
                InsertProductError::Backend(db_error(error))
            }
        })
    }

    #[tracing::instrument(level = "debug", name = "ProductStore::by_id", skip_all)]
    async fn by_id(&self, id: ProductId) -> Result<Option<Product>, BackendError> {
        product::Entity::find_by_id(id.as_uuid())
            .one(&self.db)
            .await
            .map_err(db_error)?
            .map(convert::product)
            .transpose()
    }

    #[tracing::instrument(level = "debug", name = "ProductStore::by_sku", skip_all)]
    async fn by_sku(&self, sku: &Sku) -> Result<Option<Product>, BackendError> {
        product::Entity::find()
            .filter(product::Column::Sku.eq(sku.as_str()))
            .one(&self.db)
            .await
            .map_err(db_error)?
            .map(convert::product)
            .transpose()
    }

    #[tracing::instrument(level = "debug", name = "ProductStore::by_ids", skip_all)]
    async fn by_ids(&self, ids: &[ProductId]) -> Result<Vec<Product>, BackendError> {
        product::Entity::find()
            .filter(one_of(
                self.db.get_database_backend(),
                product::Column::Id,
                ids.iter().map(ProductId::as_uuid).collect(),
            ))
            .all(&self.db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(convert::product)
            .collect()
    }

    #[tracing::instrument(level = "debug", name = "ProductStore::list", skip_all)]
    async fn list(&self, after: Option<ProductId>, fetch: u32) -> Result<Vec<Product>, BackendError> {
        let mut query = product::Entity::find().order_by_asc(product::Column::Id).limit(u64::from(fetch));
        if let Some(after) = after {
            query = query.filter(product::Column::Id.gt(after.as_uuid()));
        }
        query.all(&self.db).await.map_err(db_error)?.into_iter().map(convert::product).collect()
    }

    #[tracing::instrument(level = "debug", name = "ProductStore::update_details", skip_all)]
    async fn update_details(
        &self,
        id: ProductId,
        changes: &ProductChanges,
        at: Timestamp,
    ) -> Result<Option<Product>, BackendError> {
        let _turn = self.write_turn().await?;
        let mut update = product::Entity::update_many()
            .col_expr(product::Column::UpdatedAt, Expr::value(at))
            .filter(product::Column::Id.eq(id.as_uuid()));
        if let Some(name) = &changes.name {
            update = update.col_expr(product::Column::Name, Expr::value(name.as_str()));
        }
        if let Some(price) = changes.price {
            update = update.col_expr(product::Column::PriceCents, Expr::value(price.cents()));
        }
        let updated = self
            .db
            .transaction(|txn| {
                let update = update.clone();
                Box::pin(async move {
                    let Some(row) = update.exec_with_returning(txn).await?.into_iter().next() else {
                        return Ok(None);
                    };
                    let product = convert::product(row).map_err(inside)?;
                    txn.execute(&rows::insert(&[Event::product_updated(&product)]).map_err(inside)?).await?;
                    Ok(Some(product))
                })
            })
            .await
            .map_err(db_error)?;
        self.terms.forget_product(id);
        Ok(updated)
    }

    #[tracing::instrument(level = "debug", name = "ProductStore::restock", skip_all)]
    async fn restock(
        &self,
        id: ProductId,
        quantity: RestockQuantity,
        at: Timestamp,
    ) -> Result<RestockOutcome, BackendError> {
        let _turn = self.write_turn().await?;
        let restock = product::Entity::update_many()
            .col_expr(product::Column::Stock, Expr::col(product::Column::Stock).add(quantity.units()))
            .col_expr(product::Column::UpdatedAt, Expr::value(at))
            .filter(product::Column::Id.eq(id.as_uuid()))
            .filter(product::Column::Stock.lte(Stock::MAX - quantity.units()));
        let restocked = self
            .db
            .transaction(|txn| {
                let restock = restock.clone();
                Box::pin(async move {
                    let Some(row) = restock.exec_with_returning(txn).await?.into_iter().next() else {
                        return Ok(None);
                    };
                    let product = convert::product(row).map_err(inside)?;
                    txn.execute(&rows::insert(&[Event::product_restocked(&product)]).map_err(inside)?).await?;
                    Ok(Some(product))
                })
            })
            .await
            .map_err(db_error)?;
        if let Some(product) = restocked {
            return Ok(RestockOutcome::Restocked(product));
        }
        Ok(match self.by_id(id).await? {
            None => RestockOutcome::NotFound,
            Some(product) => RestockOutcome::WouldExceedMax { stock: product.stock.units() },
        })
    }
}

/// A failure met inside a transaction, as the transaction's error (it rolls back).
fn inside(error: BackendError) -> DbErr {
    DbErr::Custom(error.to_string())
}
