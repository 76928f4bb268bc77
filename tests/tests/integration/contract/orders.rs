//! The contract, over the application in process: placing orders (`POST /v1/orders`, with and without an
//! `Idempotency-Key`), reading, listing and cancelling them.

use orders_tests::app::TestApp;
use poem::http::Method;

use serde_json::{Value, json};

fn order_path(order: &Value) -> String {
    format!("/v1/orders/{}", order["id"].as_str().unwrap())
}

#[tokio::test]
async fn placing_an_order_takes_stock_and_prices_each_line() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let (mug, lamp) = (server.product(&admin, 1_999, 10).await, server.product(&admin, 250, 5).await);
    let (customer, token) = server.customer().await;

    let answer = server.place_order(&token, &[(&mug, 3), (&lamp, 1)], None).await;

    let order = answer.expect(201);
    assert_eq!(answer.header("location"), Some(order_path(order).as_str()));
    assert_eq!(answer.header("idempotency-replayed"), None);
    assert_eq!((order["status"].as_str(), order["currency"].as_str()), (Some("placed"), Some("USD")));
    assert_eq!(order["user_id"], customer["id"]);
    assert!(order["cancelled_at"].is_null());
    let lines = order["items"].as_array().unwrap();
    assert_eq!(lines[0]["product_id"], mug["id"]);
    assert_eq!((lines[0]["sku"].clone(), lines[0]["name"].clone()), (mug["sku"].clone(), mug["name"].clone()));
    assert_eq!((lines[0]["quantity"].as_i64(), lines[0]["unit_price_cents"].as_i64()), (Some(3), Some(1_999)));
    assert_eq!(lines[0]["line_total_cents"], 5_997);
    assert_eq!(lines[1]["line_total_cents"], 250);
    assert_eq!((order["subtotal_cents"].as_i64(), order["discount_cents"].as_i64()), (Some(6_247), Some(0)));
    assert_eq!(order["total_cents"], 6_247);
    assert_eq!((server.stock(&mug).await, server.stock(&lamp).await), (7, 4));
}

#[tokio::test]
async fn premium_customers_get_10_percent_off_rounded_half_up() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let (mug, lamp) = (server.product(&admin, 1_999, 10).await, server.product(&admin, 250, 5).await);
    let (_, token) = server.premium_customer(&admin).await;

    let answer = server.place_order(&token, &[(&mug, 3), (&lamp, 1)], None).await;

    let order = answer.expect(201);
    assert_eq!((order["subtotal_cents"].as_i64(), order["discount_cents"].as_i64()), (Some(6_247), Some(625)));
    assert_eq!(order["total_cents"], 5_622);
}

#[tokio::test]
async fn an_order_keeps_the_price_and_name_it_was_placed_with() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let mug = server.product(&admin, 1_000, 10).await;
    let (_, token) = server.customer().await;
    let placed = server.place_order(&token, &[(&mug, 1)], None).await.expect(201).clone();

    let path = format!("/v1/products/{}", mug["id"].as_str().unwrap());
    server.patch(&path, Some(&admin), &json!({"name": "Renamed", "price_cents": 5_000})).await.expect(200);

    let read = server.get(&order_path(&placed), Some(&token)).await;
    assert_eq!(read.expect(200), &placed);
}

#[tokio::test]
async fn an_unknown_product_is_a_404_naming_it_and_nothing_is_taken() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let mug = server.product(&admin, 100, 10).await;
    let ghost = json!({"id": uuid::Uuid::now_v7().to_string()});
    let (_, token) = server.customer().await;

    let answer = server.place_order(&token, &[(&mug, 2), (&ghost, 1)], None).await;

    let problem = answer.assert_problem(404, "product_not_found");
    assert_eq!(problem["product_id"], ghost["id"]);
    assert!(problem["detail"].as_str().unwrap().contains(ghost["id"].as_str().unwrap()));
    assert_eq!(server.stock(&mug).await, 10);
}

#[tokio::test]
async fn more_than_in_stock_is_a_409_saying_how_many_and_nothing_is_taken() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let (mug, pen) = (server.product(&admin, 100, 10).await, server.product(&admin, 100, 3).await);
    let (_, token) = server.customer().await;

    let answer = server.place_order(&token, &[(&mug, 2), (&pen, 4)], None).await;

    let problem = answer.assert_problem(409, "out_of_stock");
    assert_eq!(problem["product_id"], pen["id"]);
    assert_eq!((problem["requested"].as_i64(), problem["available"].as_i64()), (Some(4), Some(3)));
    assert_eq!((server.stock(&mug).await, server.stock(&pen).await), (10, 3));
}

#[tokio::test]
async fn every_refused_line_of_an_order_is_named() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let mug = server.product(&admin, 100, 10).await;
    let (_, token) = server.customer().await;

    let bad_lines = server.place_order(&token, &[(&mug, 0), (&mug, 10_001)], None).await;
    let empty = server.place_order(&token, &[], None).await;
    let strangers: Vec<serde_json::Value> = (0..101).map(|_| json!({"id": uuid::Uuid::now_v7().to_string()})).collect();
    let too_many = server.place_order(&token, &strangers.iter().map(|p| (p, 1)).collect::<Vec<_>>(), None).await;

    bad_lines.assert_invalid_fields(&["items[0].quantity", "items[1].product_id", "items[1].quantity"]);
    empty.assert_invalid_fields(&["items"]);
    too_many.assert_invalid_fields(&["items"]);
    assert_eq!(server.stock(&mug).await, 10);
}

#[tokio::test]
async fn placing_an_order_without_a_token_is_a_401() {
    let server = TestApp::start().await;

    let answer = server.post("/v1/orders", None, &json!({"items": []})).await;

    answer.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn a_valid_token_of_a_user_the_server_does_not_have_places_nothing() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let mug = server.product(&admin, 1250, 10).await;

    let answer = server.place_order(&server.token_of_nobody(), &[(&mug, 1)], Some("k")).await;

    answer.assert_problem(401, "unauthenticated");
    assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
    assert_eq!(server.stock(&mug).await, 10);
    assert_eq!(server.get("/v1/orders", Some(&admin)).await.expect(200)["items"], json!([]));
}

#[tokio::test]
async fn a_retry_with_the_same_key_replays_the_order_and_places_nothing() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let mug = server.product(&admin, 100, 10).await;
    let (_, token) = server.customer().await;
    let first = server.place_order(&token, &[(&mug, 2)], Some("key-1")).await;

    let retry = server.place_order(&token, &[(&mug, 2)], Some("key-1")).await;

    assert_eq!(retry.expect(201), first.expect(201));
    assert_eq!(retry.header("idempotency-replayed"), Some("true"));
    assert_eq!(retry.header("location"), first.header("location"));
    assert_eq!(server.stock(&mug).await, 8);
    let orders = server.get("/v1/orders", Some(&token)).await;
    assert_eq!(orders.expect(200)["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_422_and_places_nothing() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let mug = server.product(&admin, 100, 10).await;
    let (_, token) = server.customer().await;
    server.place_order(&token, &[(&mug, 2)], Some("key-2")).await.expect(201);

    let reused = server.place_order(&token, &[(&mug, 3)], Some("key-2")).await;

    reused.assert_problem(422, "idempotency_key_reused");
    assert_eq!(server.stock(&mug).await, 8);
}

#[tokio::test]
async fn keys_belong_to_their_user() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let mug = server.product(&admin, 100, 10).await;
    let ((_, ada), (_, bob)) = (server.customer().await, server.customer().await);
    server.place_order(&ada, &[(&mug, 1)], Some("shared-key")).await.expect(201);

    let bobs = server.place_order(&bob, &[(&mug, 1)], Some("shared-key")).await;

    bobs.expect(201);
    assert_eq!(bobs.header("idempotency-replayed"), None);
    assert_eq!(server.stock(&mug).await, 8);
}

#[tokio::test]
async fn a_refusal_under_a_key_is_replayed_too() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let pen = server.product(&admin, 100, 1).await;
    let (_, token) = server.customer().await;
    let first = server.place_order(&token, &[(&pen, 2)], Some("key-3")).await;
    first.assert_problem(409, "out_of_stock");

    let path = format!("/v1/products/{}/restock", pen["id"].as_str().unwrap());
    server.post(&path, Some(&admin), &json!({"quantity": 5})).await.expect(200);
    let retry = server.place_order(&token, &[(&pen, 2)], Some("key-3")).await;

    retry.assert_problem(409, "out_of_stock");
    assert_eq!(retry.header("idempotency-replayed"), Some("true"));
    assert_eq!(retry.body_but_instance(), first.body_but_instance());
    assert_eq!(server.stock(&pen).await, 6);
}

#[tokio::test]
async fn an_invalid_key_is_a_422_naming_the_header_and_is_not_remembered() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let mug = server.product(&admin, 100, 10).await;
    let (_, token) = server.customer().await;
    let too_long = "k".repeat(256);

    let answer = server.place_order(&token, &[(&mug, 1)], Some(&too_long)).await;
    let invalid_body_then_valid = {
        server.place_order(&token, &[(&mug, 0)], Some("key-4")).await.assert_invalid_fields(&["items[0].quantity"]);
        server.place_order(&token, &[(&mug, 1)], Some("key-4")).await
    };

    answer.assert_invalid_fields(&["Idempotency-Key"]);
    invalid_body_then_valid.expect(201);
    assert_eq!(invalid_body_then_valid.header("idempotency-replayed"), None);
}

#[tokio::test]
async fn concurrent_requests_with_one_key_place_one_order() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let mug = server.product(&admin, 100, 100).await;
    let (_, token) = server.customer().await;

    let mut racing = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let body = json!({"items": [{"product_id": mug["id"], "quantity": 1}]});
        let request = server.request(Method::POST, "/v1/orders").bearer(&token).header("Idempotency-Key", "race");
        racing.spawn(request.json(&body).send());
    }
    let answers = racing.join_all().await;

    let placed: Vec<_> = answers.iter().filter(|a| a.status == 201).collect();
    assert!(!placed.is_empty());
    assert!(placed.iter().all(|a| a.body["id"] == placed[0].body["id"]), "every 201 is the one order");
    for other in answers.iter().filter(|a| a.status != 201) {
        other.assert_problem(409, "idempotency_key_in_use");
    }
    assert_eq!(server.stock(&mug).await, 99);
}

#[tokio::test]
async fn the_owner_and_admins_read_an_order_and_to_others_it_does_not_exist() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let mug = server.product(&admin, 100, 10).await;
    let ((_, owner), (_, stranger)) = (server.customer().await, server.customer().await);
    let order = server.place_order(&owner, &[(&mug, 1)], None).await.expect(201).clone();

    let by_owner = server.get(&order_path(&order), Some(&owner)).await;
    let by_admin = server.get(&order_path(&order), Some(&admin)).await;
    let by_stranger = server.get(&order_path(&order), Some(&stranger)).await;
    let unknown = server.get(&format!("/v1/orders/{}", uuid::Uuid::now_v7()), Some(&owner)).await;

    assert_eq!(by_owner.expect(200), &order);
    assert_eq!(by_admin.expect(200), &order);
    by_stranger.assert_problem(404, "order_not_found");
    assert_eq!(by_stranger.body["detail"], unknown.body["detail"], "exactly as if it did not exist");
    unknown.assert_problem(404, "order_not_found");
    server.get(&order_path(&order), None).await.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn a_customer_lists_their_own_orders_newest_first_page_by_page() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let mug = server.product(&admin, 100, 10).await;
    let ((_, token), (_, other)) = (server.customer().await, server.customer().await);
    let mut placed = Vec::new();
    for _ in 0..3 {
        placed.push(server.place_order(&token, &[(&mug, 1)], None).await.expect(201)["id"].clone());
    }
    server.place_order(&other, &[(&mug, 1)], None).await.expect(201);

    let first = server.get("/v1/orders?limit=2", Some(&token)).await.expect(200).clone();
    let cursor = first["next_cursor"].as_str().expect("a second page follows");
    let second = server.get(&format!("/v1/orders?limit=2&cursor={cursor}"), Some(&token)).await.expect(200).clone();

    let ids: Vec<Value> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .map(|o| o["id"].clone())
        .collect();
    placed.reverse();
    assert_eq!(ids, placed);
    assert!(second["next_cursor"].is_null());
}

#[tokio::test]
async fn a_cursor_pages_only_the_listing_it_came_from_and_cannot_be_altered() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let mug = server.product(&admin, 100, 10).await;
    let ((_, token), (_, other)) = (server.customer().await, server.customer().await);
    for _ in 0..3 {
        server.place_order(&token, &[(&mug, 1)], None).await.expect(201);
    }
    let first = server.get("/v1/orders?limit=1", Some(&token)).await.expect(200).clone();
    let cursor = first["next_cursor"].as_str().expect("a second page follows").to_owned();
    server.get(&format!("/v1/orders?limit=1&cursor={cursor}"), Some(&token)).await.expect(200);

    let mut altered = cursor.clone().into_bytes();
    altered[2] = if altered[2] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    let refused = [
        server.get(&format!("/v1/orders?limit=1&cursor={altered}"), Some(&token)).await,
        server.get(&format!("/v1/orders?limit=1&cursor={cursor}"), Some(&other)).await,
        server.get(&format!("/v1/orders?limit=1&cursor={cursor}"), Some(&admin)).await,
        server.get(&format!("/v1/products?limit=1&cursor={cursor}"), None).await,
    ];
    for answer in refused {
        answer.assert_invalid_fields(&["cursor"]);
    }
}

#[tokio::test]
async fn an_admin_lists_everyones_orders_or_one_users_and_a_customer_may_not() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let mug = server.product(&admin, 100, 10).await;
    let ((ada, ada_token), (bob, bob_token)) = (server.customer().await, server.customer().await);
    let adas = server.place_order(&ada_token, &[(&mug, 1)], None).await.expect(201)["id"].clone();
    let bobs = server.place_order(&bob_token, &[(&mug, 1)], None).await.expect(201)["id"].clone();

    let everyone = server.get("/v1/orders?limit=100", Some(&admin)).await;
    let only_ada = server.get(&format!("/v1/orders?user_id={}", ada["id"].as_str().unwrap()), Some(&admin)).await;
    let own_by_id = server.get(&format!("/v1/orders?user_id={}", ada["id"].as_str().unwrap()), Some(&ada_token)).await;
    let bob_snooping =
        server.get(&format!("/v1/orders?user_id={}", ada["id"].as_str().unwrap()), Some(&bob_token)).await;
    let bad_user_id = server.get("/v1/orders?user_id=nobody", Some(&admin)).await;

    let everyone_ids: Vec<_> =
        everyone.expect(200)["items"].as_array().unwrap().iter().map(|o| o["id"].clone()).collect();
    assert_eq!(everyone_ids, vec![bobs, adas.clone()]);
    let ada_ids: Vec<_> = only_ada.expect(200)["items"].as_array().unwrap().iter().map(|o| o["id"].clone()).collect();
    assert_eq!(ada_ids, vec![adas]);
    assert_eq!(own_by_id.expect(200)["items"].as_array().unwrap().len(), 1);
    bob_snooping.assert_problem(403, "forbidden");
    bad_user_id.assert_invalid_fields(&["user_id"]);
    let _ = bob;
}

#[tokio::test]
async fn listing_orders_needs_a_token_and_a_valid_limit() {
    let server = TestApp::start().await;
    let (_, token) = server.customer().await;

    let without = server.get("/v1/orders", None).await;
    let bad_limit = server.get("/v1/orders?limit=500", Some(&token)).await;

    without.assert_problem(401, "unauthenticated");
    bad_limit.assert_invalid_fields(&["limit"]);
}

#[tokio::test]
async fn cancelling_returns_the_stock_once() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let mug = server.product(&admin, 100, 10).await;
    let (_, token) = server.customer().await;
    let order = server.place_order(&token, &[(&mug, 4)], None).await.expect(201).clone();

    let cancelled = server.post(&format!("{}/cancel", order_path(&order)), Some(&token), &json!({})).await;
    let again = server.post(&format!("{}/cancel", order_path(&order)), Some(&token), &json!({})).await;

    assert_eq!(cancelled.expect(200)["status"], "cancelled");
    assert!(cancelled.body["cancelled_at"].is_string());
    again.assert_problem(409, "order_not_cancellable");
    assert_eq!(server.stock(&mug).await, 10);
    assert_eq!(server.get(&order_path(&order), Some(&token)).await.expect(200)["status"], "cancelled");
}

#[tokio::test]
async fn an_admin_may_cancel_anyones_order_and_a_stranger_may_not_see_it() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let mug = server.product(&admin, 100, 10).await;
    let ((_, owner), (_, stranger)) = (server.customer().await, server.customer().await);
    let order = server.place_order(&owner, &[(&mug, 2)], None).await.expect(201).clone();
    let cancel = format!("{}/cancel", order_path(&order));

    let by_stranger = server.request(Method::POST, &cancel).bearer(&stranger).send().await;
    let by_admin = server.request(Method::POST, &cancel).bearer(&admin).send().await;

    by_stranger.assert_problem(404, "order_not_found");
    assert_eq!(by_admin.expect(200)["status"], "cancelled");
    assert_eq!(server.stock(&mug).await, 10);
    let unknown = format!("/v1/orders/{}/cancel", uuid::Uuid::now_v7());
    server.request(Method::POST, &unknown).bearer(&admin).send().await.assert_problem(404, "order_not_found");
    server.request(Method::POST, &cancel).send().await.assert_problem(401, "unauthenticated");
}
