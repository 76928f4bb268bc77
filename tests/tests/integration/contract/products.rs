//! The contract, over the application in process: browsing the catalogue (`GET /v1/products`,
//! `GET /v1/products/{id}`) and an admin adding, editing and restocking products.

use orders_tests::app::TestApp;

use serde_json::{Value, json};
use std::collections::HashSet;

fn product_path(product: &Value) -> String {
    format!("/v1/products/{}", product["id"].as_str().unwrap())
}

#[tokio::test]
async fn an_admin_adds_a_product_at_its_location() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let body = json!({"sku": "MUG-1.blue_x", "name": "Blue mug", "price_cents": 1250, "stock": 7});

    let answer = server.post("/v1/products", Some(&admin), &body).await;

    let product = answer.expect(201);
    assert_eq!((product["sku"].as_str(), product["name"].as_str()), (Some("MUG-1.blue_x"), Some("Blue mug")));
    assert_eq!((product["price_cents"].as_i64(), product["stock"].as_i64()), (Some(1250), Some(7)));
    assert_eq!(product["created_at"], product["updated_at"]);
    assert_eq!(answer.header("location"), Some(product_path(product).as_str()));
    assert_eq!(server.get(&product_path(product), None).await.expect(200), product);
}

#[tokio::test]
async fn a_taken_sku_is_a_409() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let existing = server.product(&admin, 100, 1).await;

    let answer = server
        .post(
            "/v1/products",
            Some(&admin),
            &json!({"sku": existing["sku"], "name": "Other", "price_cents": 1, "stock": 1}),
        )
        .await;

    answer.assert_problem(409, "sku_taken");
}

#[tokio::test]
async fn every_refused_field_of_a_new_product_is_named() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let body = json!({"sku": "has space", "name": "", "price_cents": 1_000_000_000_001_i64, "stock": -1});

    let answer = server.post("/v1/products", Some(&admin), &body).await;

    answer.assert_invalid_fields(&["sku", "name", "price_cents", "stock"]);
}

#[tokio::test]
async fn a_customer_may_not_add_edit_or_restock_products() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let product = server.product(&admin, 100, 1).await;
    let (_, customer) = server.customer().await;
    let new = json!({"sku": "NOPE", "name": "Nope", "price_cents": 1, "stock": 1});

    let add = server.post("/v1/products", Some(&customer), &new).await;
    let edit = server.patch(&product_path(&product), Some(&customer), &json!({"price_cents": 1})).await;
    let restock =
        server.post(&format!("{}/restock", product_path(&product)), Some(&customer), &json!({"quantity": 5})).await;

    for answer in [add, edit, restock] {
        answer.assert_problem(403, "forbidden");
    }
    assert_eq!(server.get(&product_path(&product), None).await.expect(200), &product);
}

#[tokio::test]
async fn managing_products_without_a_token_is_a_401() {
    let server = TestApp::start().await;

    let answer =
        server.post("/v1/products", None, &json!({"sku": "NOPE", "name": "Nope", "price_cents": 1, "stock": 1})).await;

    answer.assert_problem(401, "unauthenticated");
    assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
}

#[tokio::test]
async fn reading_an_unknown_product_is_a_404_and_a_bad_id_a_422() {
    let server = TestApp::start().await;

    let unknown = server.get(&format!("/v1/products/{}", uuid::Uuid::now_v7()), None).await;
    let bad_id = server.get("/v1/products/42", None).await;

    unknown.assert_problem(404, "product_not_found");
    bad_id.assert_invalid_fields(&["id"]);
}

#[tokio::test]
async fn an_admin_edits_name_and_price_and_an_absent_field_is_kept() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let product = server.product(&admin, 100, 3).await;

    let renamed = server.patch(&product_path(&product), Some(&admin), &json!({"name": "Renamed"})).await;
    let repriced = server.patch(&product_path(&product), Some(&admin), &json!({"price_cents": 250})).await;

    assert_eq!(
        (renamed.expect(200)["name"].as_str(), renamed.body["price_cents"].as_i64()),
        (Some("Renamed"), Some(100))
    );
    let after = repriced.expect(200);
    assert_eq!(
        (after["name"].as_str(), after["price_cents"].as_i64(), after["stock"].as_i64()),
        (Some("Renamed"), Some(250), Some(3))
    );
    assert_ne!(after["updated_at"], product["updated_at"]);
}

#[tokio::test]
async fn editing_an_unknown_product_is_a_404_and_a_bad_value_a_422() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let product = server.product(&admin, 100, 3).await;

    let unknown =
        server.patch(&format!("/v1/products/{}", uuid::Uuid::now_v7()), Some(&admin), &json!({"name": "X"})).await;
    let invalid = server.patch(&product_path(&product), Some(&admin), &json!({"name": "", "price_cents": -5})).await;

    unknown.assert_problem(404, "product_not_found");
    invalid.assert_invalid_fields(&["name", "price_cents"]);
}

#[tokio::test]
async fn restocking_raises_the_stock() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let product = server.product(&admin, 100, 3).await;

    let answer =
        server.post(&format!("{}/restock", product_path(&product)), Some(&admin), &json!({"quantity": 10})).await;

    assert_eq!(answer.expect(200)["stock"], 13);
    assert_eq!(server.stock(&product).await, 13);
}

#[tokio::test]
async fn restocking_by_nothing_past_the_maximum_or_an_unknown_product_is_refused() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let product = server.product(&admin, 100, 999_999_999).await;
    let restock = format!("{}/restock", product_path(&product));

    let zero = server.post(&restock, Some(&admin), &json!({"quantity": 0})).await;
    let past_the_maximum = server.post(&restock, Some(&admin), &json!({"quantity": 2})).await;
    let unknown = server
        .post(&format!("/v1/products/{}/restock", uuid::Uuid::now_v7()), Some(&admin), &json!({"quantity": 1}))
        .await;

    zero.assert_invalid_fields(&["quantity"]);
    past_the_maximum.assert_invalid_fields(&["quantity"]);
    unknown.assert_problem(404, "product_not_found");
    assert_eq!(server.stock(&product).await, 999_999_999);
}

#[tokio::test]
async fn anyone_pages_through_the_catalogue_oldest_first_without_duplicates_or_gaps() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let mut created = Vec::new();
    for _ in 0..3 {
        created.push(server.product(&admin, 100, 1).await["id"].clone());
    }

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/v1/products?limit=2&cursor={cursor}"),
            None => "/v1/products?limit=2".to_owned(),
        };
        let page = server.get(&path, None).await.expect(200).clone();
        assert!(page["items"].as_array().unwrap().len() <= 2);
        seen.extend(page["items"].as_array().unwrap().iter().map(|p| p["id"].clone()));
        if pages == 0 {
            // A product added between pages shows up at the end, exactly once.
            created.push(server.product(&admin, 100, 1).await["id"].clone());
        }
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => {
                assert!(page["next_cursor"].is_null());
                break;
            }
        }
    }

    let unique: HashSet<_> = seen.iter().map(Value::to_string).collect();
    assert_eq!(unique.len(), seen.len(), "no product is listed twice");
    let ours: Vec<_> = seen.iter().filter(|id| created.contains(id)).cloned().collect();
    assert_eq!(ours, created, "ours appear oldest first, none missing");
    assert_eq!(seen.last(), created.last());
}

#[tokio::test]
async fn a_limit_outside_1_to_100_or_a_foreign_cursor_is_a_422() {
    let server = TestApp::start().await;

    let zero = server.get("/v1/products?limit=0", None).await;
    let too_many = server.get("/v1/products?limit=101", None).await;
    let not_a_number = server.get("/v1/products?limit=ten", None).await;
    let foreign = server.get("/v1/products?cursor=not-ours", None).await;

    zero.assert_invalid_fields(&["limit"]);
    too_many.assert_invalid_fields(&["limit"]);
    not_a_number.assert_invalid_fields(&["limit"]);
    foreign.assert_invalid_fields(&["cursor"]);
}

#[tokio::test]
async fn without_a_limit_a_page_holds_20_products() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let demo_products = server.get("/v1/products", None).await.expect(200)["items"].as_array().unwrap().len();
    for _ in demo_products..21 {
        server.product(&admin, 100, 1).await;
    }

    let page = server.get("/v1/products", None).await;

    assert_eq!(page.expect(200)["items"].as_array().unwrap().len(), 20);
    assert!(page.body["next_cursor"].is_string());
}

#[tokio::test]
async fn names_with_control_characters_bidi_overrides_or_nothing_visible_are_refused() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let product = server.product(&admin, 100, 1).await;
    for name in ["nul\u{0}inside", "gnp.\u{202E}exe", "\u{2066}isolated", "   ", "\u{200B}"] {
        let body = json!({"sku": "TEXT-1", "name": name, "price_cents": 1, "stock": 1});
        server.post("/v1/products", Some(&admin), &body).await.assert_invalid_fields(&["name"]);
        server
            .patch(&product_path(&product), Some(&admin), &json!({"name": name}))
            .await
            .assert_invalid_fields(&["name"]);
    }
    assert_eq!(server.get(&product_path(&product), None).await.expect(200)["name"], product["name"]);
    let fine = json!({"sku": "TEXT-2", "name": "Crème brûlée 👩‍💻", "price_cents": 1, "stock": 1});
    server.post("/v1/products", Some(&admin), &fine).await.expect(201);
}

#[tokio::test]
async fn after_a_cancel_returns_stock_past_the_cap_every_product_call_still_answers() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let (_, customer) = server.customer().await;
    let product = server.product(&admin, 100, 1_000).await;
    let order = server.place_order(&customer, &[(&product, 1_000)], None).await.expect(201).clone();
    let restock = format!("{}/restock", product_path(&product));
    server.post(&restock, Some(&admin), &json!({"quantity": 1_000_000_000})).await.expect(200);
    let cancel = format!("/v1/orders/{}/cancel", order["id"].as_str().unwrap());
    server.post(&cancel, Some(&customer), &json!({})).await.expect(200);

    assert_eq!(server.get(&product_path(&product), None).await.expect(200)["stock"], 1_000_001_000_i64);
    let mut cursor: Option<String> = None;
    loop {
        let path = cursor
            .as_ref()
            .map_or("/v1/products?limit=100".to_owned(), |c| format!("/v1/products?limit=100&cursor={c}"));
        let page = server.get(&path, None).await.expect(200).clone();
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    server.patch(&product_path(&product), Some(&admin), &json!({"price_cents": 150})).await.expect(200);
    server.post(&restock, Some(&admin), &json!({"quantity": 1})).await.assert_invalid_fields(&["quantity"]);
}
