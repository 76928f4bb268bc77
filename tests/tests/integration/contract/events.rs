//! The contract, over the application in process: the event feed (`GET /v1/events`),
//! its cursors that never end, and long polling.

use orders_tests::app::TestApp;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The events after `cursor` (from the start without one), at least `at_least` of them
/// (waiting for them with `wait`: on PostgreSQL an event shows once every older
/// transaction of the cluster has ended), and the cursor after them.
async fn read_to_the_end(
    server: &TestApp,
    admin: &str,
    cursor: Option<String>,
    at_least: usize,
) -> (Vec<Value>, String) {
    let (mut events, mut cursor) = (Vec::new(), cursor);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let wait = if events.len() < at_least { 10 } else { 0 };
        let path = match &cursor {
            Some(cursor) => format!("/v1/events?limit=2&wait={wait}&cursor={cursor}"),
            None => format!("/v1/events?limit=2&wait={wait}"),
        };
        let page = server.get(&path, Some(admin)).await.expect(200).clone();
        let next = page["next_cursor"].as_str().expect("a feed's next_cursor is never null").to_owned();
        let items = page["items"].as_array().unwrap().clone();
        if items.is_empty() && (events.len() >= at_least || Instant::now() > deadline) {
            assert_eq!(Some(&next), cursor.as_ref().or(Some(&next)), "caught up, the cursor sent comes back");
            return (events, next);
        }
        events.extend(items);
        cursor = Some(next);
    }
}

#[tokio::test]
async fn the_feed_lists_every_change_oldest_first_with_the_resource_as_the_api_answers_it() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let (before, cursor) = read_to_the_end(&server, &admin, None, 4).await;
    assert!(before.iter().all(|event| event["type"] == "product.created"), "the demo's products");

    let product = server.product(&admin, 700, 2).await;
    let (_, customer) = server.customer().await;
    let order = server.place_order(&customer, &[(&product, 2)], None).await.expect(201).clone();
    let (events, end) = read_to_the_end(&server, &admin, Some(cursor.clone()), 3).await;

    let kinds: Vec<_> = events.iter().map(|event| event["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["product.created", "order.placed", "product.out_of_stock"]);
    assert_eq!(events[1]["data"], order, "an event's data is the resource exactly as the API answers it");
    let product_now = server.get(&format!("/v1/products/{}", product["id"].as_str().unwrap()), None).await;
    assert_eq!(events[2]["data"], *product_now.expect(200));
    assert_eq!(events[0]["data"], product);
    assert_ne!(end, cursor);
    let again = server.get(&format!("/v1/events?cursor={end}"), Some(&admin)).await;
    assert_eq!(again.expect(200)["items"], json!([]), "nothing new: an empty page, and the same cursor");
    assert_eq!(again.expect(200)["next_cursor"], end);
}

#[tokio::test]
async fn only_admins_read_the_feed() {
    let server = TestApp::start().await;
    let (_, customer) = server.customer().await;
    server.get("/v1/events", Some(&customer)).await.assert_problem(403, "forbidden");
    server.get("/v1/events", None).await.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn a_waiting_request_answers_soon_after_an_event_commits() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let (_, cursor) = read_to_the_end(&server, &admin, None, 4).await;

    let started = Instant::now();
    let path = format!("/v1/events?cursor={cursor}&wait=20");
    let (answer, created) = tokio::join!(server.get(&path, Some(&admin)), async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        server.product(&admin, 100, 1).await
    });
    let took = started.elapsed();
    let page = answer.expect(200);
    assert_eq!(page["items"][0]["data"], created, "the event the wait was for");
    assert!(took >= Duration::from_millis(500), "it waited for the event: {took:?}");
    assert!(took < Duration::from_millis(500) + Duration::from_secs(2), "answered {took:?} after it was asked");
}

#[tokio::test]
async fn a_wait_with_nothing_new_answers_an_empty_page_when_it_ends() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let (_, cursor) = read_to_the_end(&server, &admin, None, 4).await;
    let started = Instant::now();
    let page = server.get(&format!("/v1/events?cursor={cursor}&wait=1"), Some(&admin)).await;
    let took = started.elapsed();
    assert_eq!(page.expect(200)["items"], json!([]));
    assert_eq!(page.expect(200)["next_cursor"], cursor);
    assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn bad_cursors_limits_and_waits_are_refused_naming_them() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let products_cursor = server.get("/v1/products?limit=1", None).await.expect(200)["next_cursor"].clone();
    for (query, field) in [
        (format!("cursor={}", products_cursor.as_str().unwrap()), "cursor"),
        ("cursor=bm90LWEtY3Vyc29y".to_owned(), "cursor"),
        ("wait=31".to_owned(), "wait"),
        ("wait=-1".to_owned(), "wait"),
        ("wait=soon".to_owned(), "wait"),
        ("limit=0".to_owned(), "limit"),
    ] {
        let answer = server.get(&format!("/v1/events?{query}"), Some(&admin)).await;
        answer.assert_invalid_fields(&[field]);
    }
}
