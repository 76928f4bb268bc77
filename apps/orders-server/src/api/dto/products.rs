//! Products on the wire: a new product, an edit, a restock, and the product as it is.

use super::pages::next_cursor;
use crate::api::answer::rfc3339;
use crate::api::body::non_null;
use crate::api::cursors::{CursorKey, Listing};
use chrono::{DateTime, Utc};
use orders_core::domain::{Page, Product, ProductChanges, RestockQuantity, Violations};
use orders_core::usecases::NewProduct;
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A product to add to the catalogue.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(rename = "NewProduct")]
pub struct CreateProductRequest {
    /// 1 to 64 characters of `A-Z a-z 0-9 - _ .`; unique, case-sensitive.
    #[oai(validator(min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9._-]+$"))]
    pub sku: String,
    /// 1 to 200 characters; no control characters, bidirectional overrides or isolates,
    /// and not only white space.
    #[oai(validator(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\s\u200B-\u200D\u2060\uFEFF][^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"
    ))]
    pub name: String,
    /// Unit price in cents, 0 to 10^12.
    #[oai(validator(minimum(value = "0"), maximum(value = "1000000000000")))]
    pub price_cents: i64,
    /// Units in stock, 0 to 10^9 (the most an admin sets; cancelled orders may return
    /// stock past it).
    #[oai(validator(minimum(value = "0"), maximum(value = "1000000000")))]
    pub stock: i64,
}

impl CreateProductRequest {
    pub fn try_into_domain(self) -> Result<NewProduct, Violations> {
        NewProduct::parse(&self.sku, &self.name, self.price_cents, self.stock)
    }
}

/// An edit of a product's details; an absent field is left as it is. Orders already
/// placed keep the name and price they were placed with.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(rename = "ProductChanges")]
pub struct UpdateProductRequest {
    /// 1 to 200 characters; no control characters, bidirectional overrides or isolates,
    /// and not only white space.
    #[oai(validator(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\s\u200B-\u200D\u2060\uFEFF][^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"
    ))]
    #[serde(default, deserialize_with = "non_null")]
    pub name: Option<String>,
    /// Unit price in cents, 0 to 10^12.
    #[oai(validator(minimum(value = "0"), maximum(value = "1000000000000")))]
    #[serde(default, deserialize_with = "non_null")]
    pub price_cents: Option<i64>,
}

impl UpdateProductRequest {
    pub fn try_into_domain(self) -> Result<ProductChanges, Violations> {
        ProductChanges::parse(self.name.as_deref(), self.price_cents)
    }
}

/// Units to add to a product's stock.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(rename = "Restock")]
pub struct RestockRequest {
    /// 1 to 10^9; the stock after it may not pass 10^9.
    #[oai(validator(minimum(value = "1"), maximum(value = "1000000000")))]
    pub quantity: i64,
}

impl RestockRequest {
    pub fn try_into_domain(self) -> Result<RestockQuantity, Violations> {
        RestockQuantity::new(self.quantity).map_err(|invalid| Violations::one("quantity", invalid))
    }
}

/// A product in the catalogue.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(rename = "Product")]
pub struct ProductResponse {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    /// Unit price in cents of the deployment's currency.
    pub price_cents: i64,
    /// Units in stock now: never negative, and past 10^9 when cancelled orders returned
    /// stock to a product restocked to that limit.
    pub stock: i64,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
}

impl From<Product> for ProductResponse {
    fn from(product: Product) -> Self {
        Self {
            id: product.id.as_uuid(),
            sku: product.sku.as_str().to_owned(),
            name: product.name.as_str().to_owned(),
            price_cents: product.price.cents(),
            stock: product.stock.units(),
            created_at: product.created_at,
            updated_at: product.updated_at,
        }
    }
}

/// A page of products, oldest first.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(rename = "ProductPage")]
pub struct ProductPage {
    pub items: Vec<ProductResponse>,
    /// Pass as `?cursor=` to read the next page; `null` on the last page.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

impl ProductPage {
    pub fn new(page: Page<Product>, key: &CursorKey) -> Self {
        let next_cursor = next_cursor(page.next_cursor, key, Listing::Products);
        Self { items: page.items.into_iter().map(Into::into).collect(), next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::answer::same_json;

    #[test]
    fn products_and_their_pages_are_written_as_their_schema_says() {
        let time = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().to_utc();
        let product = ProductResponse {
            id: Uuid::now_v7(),
            sku: "TEA-1".to_owned(),
            name: "Tea \"green\" \\ 茶".to_owned(),
            price_cents: 1999,
            stock: 0,
            created_at: time("2026-12-08T01:02:03Z"),
            updated_at: time("2026-12-08T01:02:03.000001+00:00"),
        };
        same_json(&product);
        same_json(&ProductPage { items: vec![product.clone()], next_cursor: Some("abc".to_owned()) });
        same_json(&ProductPage { items: vec![product], next_cursor: None });
    }
}
