//! End to end, the `orders-server` process itself: its settings, `--demo`, a restart
//! that keeps the data, and a graceful shutdown that finishes the requests in flight.

use orders_tests::api::{DEMO_ADMIN, DEMO_CUSTOMER, unique_email};
use orders_tests::binaries;
use orders_tests::server::{Database, ServerOptions, TestServer, fresh_database_url, read_until_quiet};
use std::process::Command;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn sigterm_lets_a_request_in_flight_finish_then_exits_0() {
    let mut server = TestServer::start().await;
    let body = serde_json::json!({"email": unique_email("late"), "password": "correct horse"}).to_string();
    let (first_half, second_half) = body.as_bytes().split_at(body.len() / 2);
    let mut connection = server.connect().await;
    let head = format!(
        "POST /v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    connection.write_all(head.as_bytes()).await.unwrap();
    connection.write_all(first_half).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let kill = Command::new("kill").args(["-TERM", &server.pid().to_string()]).status().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    connection.write_all(second_half).await.unwrap();
    let response = read_until_quiet(&mut connection).await;

    assert!(kill.success());
    assert!(response.starts_with("HTTP/1.1 201"), "the request in flight was answered: {response}");
    let status = server.wait_for_exit();
    assert_eq!(status.code(), Some(0), "log:\n{}", server.log());
}

#[tokio::test]
async fn a_restart_on_the_same_database_keeps_users_products_and_orders() {
    let dir = tempfile::tempdir().unwrap();
    let on_disk = ServerOptions {
        database_url: Some(fresh_database_url(Database::Sqlite, dir.path())),
        ..ServerOptions::default()
    };
    let mut first = TestServer::start_with(on_disk.clone()).await;
    let admin = first.admin_token().await;
    let product = first.product(&admin, 500, 10).await;
    let (user, token) = first.customer().await;
    let order = first.place_order(&token, &[(&product, 3)], Some("before-restart")).await.expect(201).clone();
    assert_eq!(first.terminate().code(), Some(0));

    let second = TestServer::start_with(on_disk).await;

    let me = second.get("/v1/users/me", Some(&token)).await;
    assert_eq!(me.expect(200)["id"], user["id"], "tokens signed with the same secret still work");
    assert_eq!(second.stock(&product).await, 7);
    let retry = second.place_order(&token, &[(&product, 3)], Some("before-restart")).await;
    assert_eq!(retry.expect(201), &order, "idempotency keys survive the restart");
    assert_eq!(retry.header("idempotency-replayed"), Some("true"));
    let products = second.get("/v1/products?limit=100", None).await;
    let demo_skus = products.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["sku"].as_str().unwrap().starts_with("DEMO-"))
        .count();
    assert_eq!(demo_skus, 4, "--demo creates nothing twice");
}

#[tokio::test]
async fn demo_prints_credentials_that_log_in_and_where_swagger_ui_is() {
    let server = TestServer::start().await;

    let printed = server.printed().join("\n");

    assert!(printed.contains(&format!("{}/docs", server.base_url)), "{printed}");
    for (email, password) in [DEMO_ADMIN, DEMO_CUSTOMER] {
        assert!(printed.contains(email) && printed.contains(password), "{printed}");
        server.token(email, password).await;
    }
    let admin = server.token(DEMO_ADMIN.0, DEMO_ADMIN.1).await;
    assert_eq!(server.get("/v1/users/me", Some(&admin)).await.expect(200)["role"], "admin");
    let customer = server.token(DEMO_CUSTOMER.0, DEMO_CUSTOMER.1).await;
    assert_eq!(server.get("/v1/users/me", Some(&customer)).await.expect(200)["tier"], "premium");
    let products = server.get("/v1/products", None).await;
    assert!(!products.expect(200)["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn without_demo_the_database_starts_empty() {
    let server = TestServer::start_with(ServerOptions { demo: false, ..ServerOptions::default() }).await;

    let products = server.get("/v1/products", None).await;
    let admin = server.request_token(DEMO_ADMIN.0, DEMO_ADMIN.1).await;

    assert_eq!(products.expect(200)["items"], serde_json::json!([]));
    admin.assert_problem(401, "invalid_credentials");
}

#[tokio::test]
async fn the_currency_setting_is_echoed_on_orders() {
    let options = ServerOptions { extra_args: vec!["--currency".into(), "EUR".into()], ..ServerOptions::default() };
    let server = TestServer::start_with(options).await;
    let admin = server.admin_token().await;
    let product = server.product(&admin, 100, 1).await;
    let (_, token) = server.customer().await;

    let order = server.place_order(&token, &[(&product, 1)], None).await;

    assert_eq!(order.expect(201)["currency"], "EUR");
}

#[test]
fn a_bad_setting_stops_the_start_with_one_sentence() {
    for (flag, value) in [
        ("--currency", "euro"),
        ("--bind", "not-an-address"),
        ("--token-ttl-seconds", "0"),
        ("--database-url", "mysql://localhost/orders"),
        ("--max-connections", "0"),
    ] {
        let output = Command::new(binaries::path("orders-server"))
            .env_clear()
            .env("ORDERS_DATABASE_URL", "memory://")
            .env("ORDERS_BIND", "127.0.0.1:0")
            .args([flag, value])
            .output()
            .expect("orders-server runs");

        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{flag} {value} was accepted");
        let sentences: Vec<_> = stderr.lines().filter(|line| line.starts_with("orders-server: ")).collect();
        assert_eq!(sentences.len(), 1, "{flag} {value}: {stderr}");
        assert!(sentences[0].contains(value), "{flag} {value}: {stderr}");
    }
}

#[test]
fn a_database_that_cannot_be_opened_stops_the_start_stating_its_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/missing/orders.db?mode=rwc", dir.path().display());
    let output = Command::new(binaries::path("orders-server"))
        .env_clear()
        .env("ORDERS_BIND", "127.0.0.1:0")
        .args(["--database-url", &url])
        .output()
        .expect("orders-server runs");

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    let sentence = stderr.lines().find(|line| line.starts_with("orders-server: ")).expect("one sentence");
    assert!(sentence.starts_with(&format!("orders-server: cannot open the database {url}")), "{sentence}");
    assert_eq!(sentence.matches("unable to open database file").count(), 1, "{sentence}");
    assert_eq!(sentence.matches("cannot open the database").count(), 1, "{sentence}");
}

#[test]
fn settings_come_from_the_environment_too() {
    let output = Command::new(binaries::path("orders-server"))
        .env_clear()
        .env("ORDERS_DATABASE_URL", "memory://")
        .env("ORDERS_CURRENCY", "dollars")
        .output()
        .expect("orders-server runs");

    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("dollars"));
}
