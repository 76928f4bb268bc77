//! The catalogue: anyone browses it; admins add products, edit them and restock them.

use super::ApiTags;
use super::answer::JsonAnswer;
use super::body::JsonBody;
use super::cursors::{CursorKey, Listing};
use super::dto::documented::{PageLimit, UuidText};
use super::dto::pages::page_request;
use super::dto::products::{CreateProductRequest, ProductPage, ProductResponse, RestockRequest, UpdateProductRequest};
use super::errors::ApiError;
use super::errors::operations::{
    CreateProductErrors, GetProductErrors, ListProductsErrors, RestockProductErrors, UpdateProductErrors,
};
use super::security::Caller;
use orders_core::domain::ProductId;
use orders_core::usecases::Service;
use poem_openapi::param::{Path, Query};
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

pub struct ProductsApi {
    pub service: Service,
    pub cursors: CursorKey,
}

#[derive(ApiResponse)]
pub enum ProductPageAnswer {
    /// A page of products, oldest first.
    #[oai(status = 200)]
    Ok(JsonAnswer<ProductPage>),
}

#[derive(ApiResponse)]
pub enum ProductAnswer {
    /// The product.
    #[oai(status = 200)]
    Ok(JsonAnswer<ProductResponse>),
}

#[derive(ApiResponse)]
pub enum CreateProductAnswer {
    /// The product was added; `Location` is its URI.
    #[oai(status = 201)]
    Created(JsonAnswer<ProductResponse>, #[oai(header = "Location")] String),
}

fn location(id: Uuid) -> String {
    format!("/v1/products/{id}")
}

#[OpenApi(tag = "ApiTags::Products")]
impl ProductsApi {
    /// Browse the catalogue
    ///
    /// Anyone may. Oldest product first (by id, which is time-ordered); products added
    /// while you page appear at the end, never twice and never skipped.
    #[oai(path = "/v1/products", method = "get", operation_id = "listProducts")]
    async fn list_products(
        &self,
        /// Products per page, 1 to 100 (default 20).
        limit: Query<Option<PageLimit>>,
        /// The `next_cursor` of the previous page; absent for the first page.
        cursor: Query<Option<String>>,
    ) -> Result<ProductPageAnswer, ApiError<ListProductsErrors>> {
        let request = page_request(limit.0, cursor.0.as_deref(), &self.cursors, Listing::Products)?;
        let page = self.service.list_products(request).await?;
        Ok(ProductPageAnswer::Ok(JsonAnswer(ProductPage::new(page, &self.cursors))))
    }

    /// Read a product
    ///
    /// Anyone may.
    #[oai(path = "/v1/products/:id", method = "get", operation_id = "getProduct")]
    async fn get_product(
        &self,
        /// The product's id.
        id: Path<UuidText>,
    ) -> Result<ProductAnswer, ApiError<GetProductErrors>> {
        let product = self.service.get_product(ProductId::from_uuid(id.parse("id")?)).await?;
        Ok(ProductAnswer::Ok(JsonAnswer(product.into())))
    }

    /// Add a product
    ///
    /// Admins only.
    #[oai(path = "/v1/products", method = "post", operation_id = "createProduct")]
    async fn create_product(
        &self,
        caller: Caller,
        body: JsonBody<CreateProductRequest>,
    ) -> Result<CreateProductAnswer, ApiError<CreateProductErrors>> {
        let new = body.0.try_into_domain()?;
        let product = self.service.create_product(&caller.actor(&self.service).await?, new).await?;
        let location = location(product.id.as_uuid());
        Ok(CreateProductAnswer::Created(JsonAnswer(product.into()), location))
    }

    /// Edit a product's name or price
    ///
    /// Admins only. Absent fields are left as they are; an empty object changes nothing
    /// and answers the product. Orders already placed keep the name and price they were
    /// placed with.
    #[oai(path = "/v1/products/:id", method = "patch", operation_id = "updateProduct")]
    async fn update_product(
        &self,
        caller: Caller,
        /// The product's id.
        id: Path<UuidText>,
        body: JsonBody<UpdateProductRequest>,
    ) -> Result<ProductAnswer, ApiError<UpdateProductErrors>> {
        let id = ProductId::from_uuid(id.parse("id")?);
        let changes = body.0.try_into_domain()?;
        let product = self.service.update_product(&caller.actor(&self.service).await?, id, changes).await?;
        Ok(ProductAnswer::Ok(JsonAnswer(product.into())))
    }

    /// Restock a product
    ///
    /// Admins only. Raises the stock by `quantity` in one atomic step: orders placed at
    /// the same time lose nothing and are not lost.
    #[oai(path = "/v1/products/:id/restock", method = "post", operation_id = "restockProduct")]
    async fn restock_product(
        &self,
        caller: Caller,
        /// The product's id.
        id: Path<UuidText>,
        body: JsonBody<RestockRequest>,
    ) -> Result<ProductAnswer, ApiError<RestockProductErrors>> {
        let id = ProductId::from_uuid(id.parse("id")?);
        let quantity = body.0.try_into_domain()?;
        let product = self.service.restock_product(&caller.actor(&self.service).await?, id, quantity).await?;
        Ok(ProductAnswer::Ok(JsonAnswer(product.into())))
    }
}
