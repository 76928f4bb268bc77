//! Through the generated Rust client: placing an order (with an `Idempotency-Key`, and
//! its replay), listing and cancelling orders; with the typed problems of placing
//! (`404 product_not_found`, `409 out_of_stock`, `422`) and of cancelling twice. One
//! request the client refuses to send is sent raw, to see the server refuse it too.

use orders_client::types::{Order, OrderRequest, OrderRequestItem, OrderStatus, Product};
use orders_client::{Client, Error, ResponseValue};
use orders_tests::client::{self, anonymous, problem, refused_fields};
use orders_tests::server::{TestServer, answer};
use std::num::NonZeroU64;

fn order_of(lines: &[(&Product, u64)]) -> OrderRequest {
    let items = lines
        .iter()
        .map(|(product, quantity)| OrderRequestItem {
            product_id: product.id,
            quantity: NonZeroU64::new(*quantity).expect("a quantity of at least 1"),
        })
        .collect();
    OrderRequest { items }
}

async fn place(
    client: &Client,
    lines: &[(&Product, u64)],
    key: Option<&str>,
) -> Result<ResponseValue<Order>, Error<orders_client::types::Problem>> {
    let mut request = client.place_order().body(order_of(lines));
    if let Some(key) = key {
        request = request.idempotency_key(key);
    }
    request.send().await
}

#[tokio::test]
async fn an_order_with_an_idempotency_key_is_placed_once_and_its_retry_replayed() {
    let server = TestServer::start().await;
    let admin = client::admin(&server).await;
    let (mug, lamp) = (client::product(&admin, 1_999, 10).await, client::product(&admin, 250, 5).await);
    let (user, customer) = client::customer(&server).await;
    let key = uuid::Uuid::now_v7().to_string();

    let first = place(&customer, &[(&mug, 3), (&lamp, 1)], Some(&key)).await.unwrap();
    let retry = place(&customer, &[(&mug, 3), (&lamp, 1)], Some(&key)).await.unwrap();

    assert_eq!(first.status().as_u16(), 201);
    assert_eq!(first.headers()["location"].to_str().unwrap(), format!("/v1/orders/{}", first.id));
    assert!(first.headers().get("idempotency-replayed").is_none());
    assert_eq!((first.user_id, first.status, first.currency.as_str()), (user.id, OrderStatus::Placed, "USD"));
    assert_eq!((first.items[0].sku.as_str(), first.items[0].line_total_cents), (mug.sku.as_str(), 5_997));
    assert_eq!((first.subtotal_cents, first.discount_cents, first.total_cents), (6_247, 0, 6_247));
    assert!(first.cancelled_at.is_none());

    assert_eq!(retry.status().as_u16(), 201);
    assert_eq!(retry.headers()["idempotency-replayed"], "true");
    assert_eq!((retry.id, retry.created_at), (first.id, first.created_at));
    let anonymous = anonymous(&server);
    assert_eq!((client::stock(&anonymous, &mug).await, client::stock(&anonymous, &lamp).await), (7, 4));

    let other_body = place(&customer, &[(&mug, 1)], Some(&key)).await;
    assert_eq!(problem(other_body, 422).code, "idempotency_key_reused");
}

#[tokio::test]
async fn refused_orders_are_typed_problems_and_take_nothing() {
    let server = TestServer::start().await;
    let admin = client::admin(&server).await;
    let (mug, pen) = (client::product(&admin, 100, 10).await, client::product(&admin, 100, 3).await);
    let (_, customer) = client::customer(&server).await;
    let mut ghost = mug.clone();
    ghost.id = uuid::Uuid::now_v7();

    let missing = problem(place(&customer, &[(&mug, 2), (&ghost, 1)], None).await, 404);
    let short = problem(place(&customer, &[(&mug, 2), (&pen, 4)], None).await, 409);
    let repeated = problem(place(&customer, &[(&mug, 1), (&mug, 2)], None).await, 422);
    let too_many = problem(place(&customer, &[(&mug, 10_001)], None).await, 422);

    assert_eq!((missing.code.as_str(), missing.product_id), ("product_not_found", Some(ghost.id)));
    assert_eq!((short.code.as_str(), short.product_id), ("out_of_stock", Some(pen.id)));
    assert_eq!((short.requested, short.available), (Some(4), Some(3)));
    assert_eq!(refused_fields(&repeated), ["items[1].product_id"]);
    assert_eq!(refused_fields(&too_many), ["items[0].quantity"]);
    let anonymous = anonymous(&server);
    assert_eq!((client::stock(&anonymous, &mug).await, client::stock(&anonymous, &pen).await), (10, 3));
}

#[tokio::test]
async fn orders_are_listed_newest_first_and_cancelled_once() {
    let server = TestServer::start().await;
    let admin = client::admin(&server).await;
    let mug = client::product(&admin, 100, 10).await;
    let (_, customer) = client::customer(&server).await;
    let older = place(&customer, &[(&mug, 1)], None).await.unwrap().into_inner();
    let newer = place(&customer, &[(&mug, 2)], None).await.unwrap().into_inner();

    let page = customer.list_orders().send().await.unwrap().into_inner();
    let cancelled = customer.cancel_order().id(older.id).send().await.unwrap();
    let again = customer.cancel_order().id(older.id).send().await;

    let listed: Vec<_> = page.items.iter().map(|order| order.id).collect();
    assert_eq!(listed, [newer.id, older.id]);
    assert!(page.next_cursor.is_none());
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert!(cancelled.cancelled_at.is_some());
    assert_eq!(client::stock(&anonymous(&server), &mug).await, 8);
    assert_eq!(problem(again, 409).code, "order_not_cancellable");
    let read = customer.get_order().id(older.id).send().await.unwrap();
    assert_eq!(read.status, OrderStatus::Cancelled);
}

#[tokio::test]
async fn another_users_order_does_not_exist_for_you() {
    let server = TestServer::start().await;
    let admin = client::admin(&server).await;
    let mug = client::product(&admin, 100, 10).await;
    let (_, owner) = client::customer(&server).await;
    let (_, stranger) = client::customer(&server).await;
    let order = place(&owner, &[(&mug, 1)], None).await.unwrap().into_inner();

    let read = stranger.get_order().id(order.id).send().await;
    let cancel = stranger.cancel_order().id(order.id).send().await;
    let by_admin = admin.get_order().id(order.id).send().await.unwrap();

    assert_eq!(problem(read, 404).code, "order_not_found");
    assert_eq!(problem(cancel, 404).code, "order_not_found");
    assert_eq!(by_admin.id, order.id);
    assert!(stranger.list_orders().send().await.unwrap().items.is_empty());
}

#[tokio::test]
async fn a_key_that_is_not_printable_ascii_is_refused_not_ignored() {
    let server = TestServer::start().await;
    let admin = client::admin(&server).await;
    let mug = client::product(&admin, 100, 10).await;
    let (_, customer) = client::customer(&server).await;

    let by_the_client = place(&customer, &[(&mug, 1)], Some("café")).await;
    assert!(matches!(by_the_client, Err(Error::InvalidRequest(_))), "{by_the_client:?}");

    let (_, token) = server.customer().await;
    let latin1_key: &[u8] = b"caf\xe9";
    let raw = server
        .client()
        .post(server.url("/v1/orders"))
        .bearer_auth(&token)
        .header("Idempotency-Key", latin1_key)
        .json(&serde_json::json!({"items": [{"product_id": mug.id, "quantity": 1}]}));
    let refused = answer(raw).await;

    refused.assert_invalid_fields(&["Idempotency-Key"]);
    assert_eq!(client::stock(&anonymous(&server), &mug).await, 10, "nothing was placed");
}
