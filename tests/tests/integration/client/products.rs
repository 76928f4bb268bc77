//! Through the generated Rust client: an admin adds, edits and restocks products, anyone
//! browses them page by page; with the typed problems of each refusal.

use orders_client::types::{NewProduct, ProductChanges, Restock};
use orders_tests::client::{self, anonymous, problem, refused_fields};
use orders_tests::server::TestServer;
use std::num::NonZeroU64;

#[tokio::test]
async fn an_admin_adds_a_product_and_anyone_reads_it() {
    let server = TestServer::start().await;
    let admin = client::admin(&server).await;
    let new = NewProduct::builder().sku("CLIENT-MUG").name("Client mug").price_cents(1_250).stock(7);

    let created = admin.create_product().body(new).send().await.unwrap();

    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(created.headers()["location"].to_str().unwrap(), format!("/v1/products/{}", created.id));
    let read = anonymous(&server).get_product().id(created.id).send().await.unwrap();
    assert_eq!((read.sku.as_str(), read.name.as_str()), ("CLIENT-MUG", "Client mug"));
    assert_eq!((read.price_cents, read.stock), (1_250, 7));
}

#[tokio::test]
async fn refusals_come_back_as_typed_problems() {
    let server = TestServer::start().await;
    let admin = client::admin(&server).await;
    let (_, customer) = client::customer(&server).await;
    let existing = client::product(&admin, 100, 1).await;
    let new = |sku: &str| NewProduct::builder().sku(sku.to_owned()).name("Lamp").price_cents(100).stock(1);

    let by_a_customer = customer.create_product().body(new("CUSTOMERS-LAMP")).send().await;
    let taken = admin.create_product().body(new(existing.sku.as_str())).send().await;
    let too_dear = admin.create_product().body(new("DEAR").price_cents(1_000_000_000_001_i64)).send().await;
    let unknown = anonymous(&server).get_product().id(uuid::Uuid::now_v7()).send().await;

    assert_eq!(problem(by_a_customer, 403).code, "forbidden");
    assert_eq!(problem(taken, 409).code, "sku_taken");
    assert_eq!(refused_fields(&problem(too_dear, 422)), ["price_cents"]);
    assert_eq!(problem(unknown, 404).code, "product_not_found");
}

#[tokio::test]
async fn an_admin_edits_and_restocks_a_product() {
    let server = TestServer::start().await;
    let admin = client::admin(&server).await;
    let product = client::product(&admin, 500, 2).await;

    let edited = admin
        .update_product()
        .id(product.id)
        .body(ProductChanges::builder().price_cents(Some(450)))
        .send()
        .await
        .unwrap();
    let restocked = admin
        .restock_product()
        .id(product.id)
        .body(Restock::builder().quantity(NonZeroU64::new(8).unwrap()))
        .send()
        .await
        .unwrap();

    assert_eq!((edited.name.as_str(), edited.price_cents), (product.name.as_str(), 450));
    assert_eq!(restocked.stock, 10);
    assert_eq!(client::stock(&anonymous(&server), &product).await, 10);
}

#[tokio::test]
async fn the_catalogue_is_read_page_by_page_with_the_cursor() {
    let server = TestServer::start().await;
    let admin = client::admin(&server).await;
    let mut added = Vec::new();
    for _ in 0..3 {
        added.push(client::product(&admin, 100, 1).await.id);
    }
    let anonymous = anonymous(&server);
    let limit = NonZeroU64::new(2).unwrap();

    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let mut request = anonymous.list_products().limit(limit);
        if let Some(cursor) = cursor.take() {
            request = request.cursor(cursor);
        }
        let page = request.send().await.unwrap().into_inner();
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|product| product.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }

    let ours: Vec<_> = seen.iter().filter(|id| added.contains(id)).copied().collect();
    assert_eq!(ours, added, "every product once, oldest first");
}
