//! [`ProductStore`] on SQL. Each change is a transaction that also records its event
//! (`product.created`, `product.updated`, `product.restocked`); restocking is one
//! conditional `UPDATE … RETURNING` in it.

use super::SqlStore;
use super::connection::Txn;
use super::convert;
use super::entities::product;
use super::errors::{db_error, is_unique_violation};
use super::events::rows;
use async_trait::async_trait;
use orders_core::domain::{Event, Product, ProductChanges, ProductId, RestockQuantity, Sku, Stock, Timestamp};
use orders_core::ports::{BackendError, InsertProductError, ProductStore, RestockOutcome};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

#[async_trait]
impl ProductStore for SqlStore {
    async fn insert(&self, product: &Product) -> Result<(), InsertProductError> {
        let _turn = self.write_turn().await?;
        let txn = self.db.begin().await.map_err(db_error)?;
        product::Entity::insert(convert::product_row(product)).exec_without_returning(&txn).await.map_err(|error| {
            if is_unique_violation(&error) {
                InsertProductError::SkuTaken
            } else {
                InsertProductError::Backend(db_error(error))
            }
        })?;
        Ok(record(txn, Event::product_created(product)).await?)
    }

    async fn by_id(&self, id: ProductId) -> Result<Option<Product>, BackendError> {
        product::Entity::find_by_id(id.as_uuid())
            .one(&self.db)
            .await
            .map_err(db_error)?
            .map(convert::product)
            .transpose()
    }

    async fn by_sku(&self, sku: &Sku) -> Result<Option<Product>, BackendError> {
        product::Entity::find()
            .filter(product::Column::Sku.eq(sku.as_str()))
            .one(&self.db)
            .await
            .map_err(db_error)?
            .map(convert::product)
            .transpose()
    }

    async fn by_ids(&self, ids: &[ProductId]) -> Result<Vec<Product>, BackendError> {
        product::Entity::find()
            .filter(product::Column::Id.is_in(ids.iter().map(ProductId::as_uuid)))
            .all(&self.db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(convert::product)
            .collect()
    }

    async fn list(&self, after: Option<ProductId>, fetch: u32) -> Result<Vec<Product>, BackendError> {
        let mut query = product::Entity::find().order_by_asc(product::Column::Id).limit(u64::from(fetch));
        if let Some(after) = after {
            query = query.filter(product::Column::Id.gt(after.as_uuid()));
        }
        query.all(&self.db).await.map_err(db_error)?.into_iter().map(convert::product).collect()
    }

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
        let txn = self.db.begin().await.map_err(db_error)?;
        let updated = update.exec_with_returning(&txn).await.map_err(db_error)?;
        self.terms.forget_product(id);
        let Some(product) = updated.into_iter().next().map(convert::product).transpose()? else { return Ok(None) };
        record(txn, Event::product_updated(&product)).await?;
        Ok(Some(product))
    }

    async fn restock(
        &self,
        id: ProductId,
        quantity: RestockQuantity,
        at: Timestamp,
    ) -> Result<RestockOutcome, BackendError> {
        let _turn = self.write_turn().await?;
        let txn = self.db.begin().await.map_err(db_error)?;
        let restocked = product::Entity::update_many()
            .col_expr(product::Column::Stock, Expr::col(product::Column::Stock).add(quantity.units()))
            .col_expr(product::Column::UpdatedAt, Expr::value(at))
            .filter(product::Column::Id.eq(id.as_uuid()))
            .filter(product::Column::Stock.lte(Stock::MAX - quantity.units()))
            .exec_with_returning(&txn)
            .await
            .map_err(db_error)?;
        if let Some(row) = restocked.into_iter().next() {
            let product = convert::product(row)?;
            record(txn, Event::product_restocked(&product)).await?;
            return Ok(RestockOutcome::Restocked(product));
        }
        drop(txn);
        Ok(match self.by_id(id).await? {
            None => RestockOutcome::NotFound,
            Some(product) => RestockOutcome::WouldExceedMax { stock: product.stock.units() },
        })
    }
}

/// Records `event` in `txn`, then commits it.
async fn record(txn: Txn, event: Event) -> Result<(), BackendError> {
    txn.execute(&rows::insert(&[event])?).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)
}
