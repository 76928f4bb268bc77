//! `ordersctl products`: the operator adds products and lists the catalogue.

use crate::cli::{CreateProduct, ProductsCommand};
use crate::database::Database;
use crate::error::{self, Failure};
use crate::output::{self, Format};
use orders_core::domain::{Limit, PageRequest};
use orders_core::usecases::{Actor, NewProduct};

pub async fn run(command: ProductsCommand, database: &Database, format: Format) -> Result<String, Failure> {
    match command {
        ProductsCommand::Create(args) => create(args, database, format).await,
        ProductsCommand::List => list(database, format).await,
    }
}

async fn create(args: CreateProduct, database: &Database, format: Format) -> Result<String, Failure> {
    let new = NewProduct::parse(&args.sku, &args.name, args.price_cents, args.stock)
        .map_err(|violations| error::violations(&violations, |field| format!("--{}", field.replace('_', "-"))))?;
    let sku = new.sku.clone();
    let service = database.service().await?;
    let product = service.create_product(&Actor::Operator, new).await.map_err(|e| error::create_product(e, &sku))?;
    Ok(output::product(format, "Created product", &product, database.currency()))
}

/// Every product, read a page at a time.
async fn list(database: &Database, format: Format) -> Result<String, Failure> {
    let service = database.service().await?;
    let mut products = Vec::new();
    let mut request =
        PageRequest { limit: Limit::new(Limit::MAX.into()).expect("the maximum is a limit"), after: None };
    loop {
        let page = service.list_products(request).await.map_err(error::backend)?;
        products.extend(page.items);
        match page.next_cursor {
            Some(cursor) => request.after = Some(cursor),
            None => break,
        }
    }
    Ok(output::products(format, &products, database.currency()))
}
