//! Webhook deliveries end to end, from real `orders-server` processes to endpoints of
//! the test's own: every delivery verified by the Standard Webhooks reference library
//! (Python), an endpoint down for a while (and the server restarted meanwhile) whose
//! deliveries arrive once it is back, and two servers on one PostgreSQL delivering
//! each event once.

use super::metrics::sample;
use orders_tests::postgres_server::PostgresServer;
use orders_tests::receiver::{Delivery, Receiver, free_address, url_of, wait_until};
use orders_tests::server::{ServerOptions, TestServer};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ALL_TYPES: [&str; 6] = [
    "order.placed",
    "order.cancelled",
    "product.created",
    "product.updated",
    "product.restocked",
    "product.out_of_stock",
];

fn allowing_private(database_url: Option<String>) -> ServerOptions {
    ServerOptions { database_url, extra_args: vec!["--webhook-allow-private".to_owned()], ..ServerOptions::default() }
}

/// Adds an endpoint at `url` for every event type: its id and secret.
async fn add_endpoint(server: &TestServer, admin: &str, url: &str) -> (String, String) {
    let created = server.post("/v1/webhooks", Some(admin), &json!({"url": url, "events": ALL_TYPES})).await;
    let created = created.expect(201);
    (created["id"].as_str().unwrap().to_owned(), created["secret"].as_str().unwrap().to_owned())
}

/// The feed's events but the demo's, as the feed lists them.
async fn events_after_the_demo(server: &TestServer, admin: &str) -> Vec<Value> {
    let (mut events, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/v1/events?limit=100&cursor={cursor}"),
            None => "/v1/events?limit=100".to_owned(),
        };
        let page = server.get(&path, Some(admin)).await.expect(200).clone();
        let items = page["items"].as_array().unwrap().clone();
        if items.is_empty() {
            let demo = |event: &Value| event["data"]["sku"].as_str().is_some_and(|sku| sku.starts_with("DEMO-"));
            return events.into_iter().filter(|event| !demo(event)).collect();
        }
        events.extend(items);
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
}

/// Some changes of every kind: a product made, edited, restocked, emptied by orders,
/// and an order cancelled.
async fn make_changes(server: &TestServer, admin: &str, orders: usize) {
    let product = server.product(admin, 500, orders as i64).await;
    let path = format!("/v1/products/{}", product["id"].as_str().unwrap());
    server.patch(&path, Some(admin), &json!({"name": "Renamed"})).await.expect(200);
    let (_, customer) = server.customer().await;
    let mut placed = Vec::new();
    for _ in 0..orders {
        placed.push(server.place_order(&customer, &[(&product, 1)], None).await.expect(201).clone());
    }
    let cancel = format!("/v1/orders/{}/cancel", placed[0]["id"].as_str().unwrap());
    server.post(&cancel, Some(&customer), &json!({})).await.expect(200);
    server.post(&format!("{path}/restock"), Some(admin), &json!({"quantity": 3})).await.expect(200);
}

#[cfg_attr(
    not(standardwebhooks),
    ignore = "needs Python with standardwebhooks: bash tests/python/run.sh makes the venv"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_delivery_passes_the_standard_webhooks_reference_verifier() {
    let server = TestServer::start_with(allowing_private(None)).await;
    let admin = server.admin_token().await;
    let address = free_address();
    let (webhook, secret) = add_endpoint(&server, &admin, &url_of(address)).await;
    let python = orders_tests::tools::webhook_python().expect("a Python with standardwebhooks");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/webhook_receiver.py");
    let mut receiver = Command::new(python)
        .args([script, &address.port().to_string(), &secret])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the receiver starts");
    let lines = Arc::new(Mutex::new(Vec::<Value>::new()));
    let reading = lines.clone();
    let stdout = receiver.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            match serde_json::from_str::<Value>(&line) {
                Ok(value) => reading.lock().unwrap().push(value),
                Err(_) if line == "listening" => {}
                Err(_) => eprintln!("the receiver printed {line:?}"),
            }
        }
    });

    make_changes(&server, &admin, 6).await;
    let expected = events_after_the_demo(&server, &admin).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while lines.lock().unwrap().len() < expected.len() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = receiver.kill();
    let _ = receiver.wait();
    let received = lines.lock().unwrap().clone();
    let attempts = server.get(&format!("/v1/webhooks/{webhook}/deliveries?limit=100"), Some(&admin)).await;
    let attempts = attempts.expect(200)["items"].clone();

    let refused: Vec<_> = received.iter().filter(|line| line["verified"] != true).collect();
    assert!(refused.is_empty(), "the reference verifier refused deliveries: {refused:?}");
    let ids: Vec<&str> = received.iter().map(|line| line["id"].as_str().unwrap()).collect();
    let expected_ids: HashSet<&str> = expected.iter().map(|event| event["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids.iter().copied().collect::<HashSet<_>>(),
        expected_ids,
        "every event of the feed, delivered; the attempts: {attempts:#}\nthe server's log: {}",
        server.log()
    );
    assert_eq!(ids.len(), expected.len(), "each once");
    for event in &expected {
        let delivered = received.iter().find(|line| line["id"] == event["id"]).unwrap();
        let body: Value = serde_json::from_str(delivered["body"].as_str().unwrap()).unwrap();
        assert_eq!(&body, event, "a delivery's body is the event as the feed lists it");
    }
    println!("{} deliveries, each verified by the standardwebhooks package", received.len());
}

/// How many deliveries each event id got.
fn per_event(deliveries: &[Delivery]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for delivery in deliveries {
        *counts.entry(delivery.id.clone()).or_insert(0) += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_to_an_endpoint_that_was_down_are_retried_and_arrive_even_across_a_restart() {
    let mut server = TestServer::start_with(allowing_private(None)).await;
    let admin = server.admin_token().await;
    let address = free_address();
    let (webhook, secret) = add_endpoint(&server, &admin, &url_of(address)).await;
    make_changes(&server, &admin, 2).await;
    let expected = events_after_the_demo(&server, &admin).await;
    let deliveries = format!("/v1/webhooks/{webhook}/deliveries?limit=100");
    let mut failed = Vec::new();
    for _ in 0..200 {
        failed = server.get(&deliveries, Some(&admin)).await.expect(200)["items"].as_array().unwrap().clone();
        if failed.len() >= expected.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(failed.len() >= expected.len(), "every event was tried: {failed:?}");
    for attempt in &failed {
        assert_eq!((attempt["outcome"].as_str(), attempt["status_code"].as_i64()), (Some("failed"), None), "{attempt}");
        assert!(
            attempt["error"].as_str().is_some_and(|error| !error.is_empty()) && attempt["next_retry_at"].is_string()
        );
    }
    let metrics = server.get("/metrics", None).await.text.clone();
    let failures = sample(&metrics, r#"orders_webhook_deliveries_total{result="failed"}"#);
    assert!(failures.is_some_and(|failures| failures >= failed.len() as f64), "each failure counted: {metrics}");

    let database_url = server.database_url.clone();
    server.terminate();
    let received = Arc::new(Mutex::new(Vec::new()));
    let _receiver = Receiver::start(address, received.clone()).await;
    let server = TestServer::start_with(allowing_private(Some(database_url))).await;
    let arrived = wait_until(&received, Duration::from_secs(60), |got| per_event(got).len() >= expected.len()).await;
    assert!(arrived, "the retries did not all arrive: {:?}", per_event(&received.lock().unwrap()));

    let got = received.lock().unwrap().clone();
    let key = orders_core::domain::WebhookSecret::stored(&secret).unwrap().key().unwrap();
    for delivery in &got {
        let timestamp: i64 = delivery.timestamp.parse().unwrap();
        let signed = orders_adapters::webhooks::signature::sign(&key, &delivery.id, timestamp, &delivery.body);
        assert_eq!(delivery.signature, signed, "signed with the endpoint's secret");
        assert!(
            (chrono::Utc::now().timestamp() - timestamp).abs() < 300,
            "stamped when sent, not when the event was made"
        );
    }
    let expected_ids: HashSet<String> = expected.iter().map(|event| event["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(per_event(&got).keys().cloned().collect::<HashSet<_>>(), expected_ids);
    let admin = server.admin_token().await;
    let history = server.get(&deliveries, Some(&admin)).await.expect(200)["items"].as_array().unwrap().clone();
    let delivered = history.iter().filter(|attempt| attempt["outcome"] == "delivered").count();
    assert!(delivered >= expected.len(), "each event has a delivered attempt after its failures: {history:?}");
    let metrics = server.get("/metrics", None).await.text.clone();
    let counted = sample(&metrics, r#"orders_webhook_deliveries_total{result="delivered"}"#);
    assert!(counted.is_some_and(|counted| counted >= expected.len() as f64), "each delivery counted: {metrics}");
    let lags = sample(&metrics, "orders_webhook_delivery_lag_seconds_count");
    assert!(lags.is_some_and(|lags| lags >= expected.len() as f64), "each delivery's lag observed: {metrics}");
    let within_a_second = sample(&metrics, r#"orders_webhook_delivery_lag_seconds_bucket{le="1"}"#).unwrap_or(0.0);
    assert!(within_a_second < lags.unwrap(), "the lag runs from the event, across the restart, not from the last try");
}

#[cfg_attr(not(postgres_programs), ignore = "needs PostgreSQL's initdb and pg_ctl: install PostgreSQL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_deliver_each_event_once() {
    let database = PostgresServer::start();
    let first = TestServer::start_with(allowing_private(Some(database.url()))).await;
    let second = TestServer::start_with(allowing_private(Some(database.url()))).await;
    let admin = first.admin_token().await;
    let received = Arc::new(Mutex::new(Vec::new()));
    let receiver = Receiver::start(free_address(), received.clone()).await;
    add_endpoint(&first, &admin, &receiver.url()).await;
    let product = first.product(&admin, 100, 1_000).await;
    let (_, customer) = first.customer().await;
    let mut placing = tokio::task::JoinSet::new();
    for n in 0..40 {
        let server = if n % 2 == 0 { first.url("/v1/orders") } else { second.url("/v1/orders") };
        let body = json!({"items": [{"product_id": product["id"], "quantity": 1}]});
        let request = first.client().post(server).bearer_auth(&customer).json(&body);
        placing.spawn(orders_tests::server::answer(request));
    }
    for answer in placing.join_all().await {
        answer.expect(201);
    }
    let expected = events_after_the_demo(&first, &admin).await;
    assert_eq!(expected.len(), 41, "the product and 40 orders");
    let arrived = wait_until(&received, Duration::from_secs(60), |got| per_event(got).len() >= expected.len()).await;
    assert!(arrived, "not every event arrived");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let counts = per_event(&received.lock().unwrap());
    let twice: Vec<_> = counts.iter().filter(|(_, count)| **count > 1).collect();
    assert!(twice.is_empty(), "delivered more than once without a crash: {twice:?}");
    println!("{} events delivered once each by two servers", counts.len());
}
