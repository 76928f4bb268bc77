//! Over a real socket, on a throw-away PostgreSQL server of the test's own: when the
//! database goes away, `/health` stays 200, `/ready` and every request that needs the
//! database answer 503 problems fast and without internals; when it comes back, the
//! same server process serves again, and every order acknowledged with 201 is there.

use orders_tests::api::Answer;
use orders_tests::postgres_server::PostgresServer;
use orders_tests::server::{ServerOptions, TestServer, answer};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[cfg_attr(not(postgres_programs), ignore = "needs PostgreSQL's initdb and pg_ctl: install PostgreSQL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_a_503_problem_and_the_server_recovers() {
    let database = PostgresServer::start();
    let options = ServerOptions {
        database_url: Some(database.url()),
        extra_args: vec!["--pool-timeout-ms".into(), "1000".into()],
        ..ServerOptions::default()
    };
    let server = TestServer::start_with(options).await;
    let admin = server.admin_token().await;
    let product = server.product(&admin, 100, 1_000).await;
    let (_, token) = server.customer().await;

    // Orders keep coming, one at a time, before, during and after the outage.
    let running = Arc::new(AtomicBool::new(true));
    let stream = {
        let (client, url, running, token) =
            (server.client().clone(), server.url("/v1/orders"), running.clone(), token.clone());
        let body = json!({"items": [{"product_id": product["id"], "quantity": 1}]});
        tokio::spawn(async move {
            let mut answers: Vec<(Answer, Duration)> = Vec::new();
            while running.load(Ordering::Relaxed) {
                let started = Instant::now();
                let placed = answer(client.post(&url).bearer_auth(&token).json(&body)).await;
                answers.push((placed, started.elapsed()));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            answers
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;

    database.stop();
    let stopped = Instant::now();
    let health = server.get("/health", None).await;
    let ready = server.get("/ready", None).await;
    let listing = server.get("/v1/products", None).await;
    let took = stopped.elapsed();
    health.expect(200);
    ready.assert_problem(503, "not_ready");
    let problem = listing.assert_problem(503, "service_unavailable");
    assert!(listing.header("retry-after").is_some());
    let detail = problem["detail"].as_str().unwrap().to_lowercase();
    assert!(!detail.contains("sqlx") && !detail.contains("127.0.0.1"), "internals shown: {detail}");
    assert!(took < Duration::from_secs(10), "answers came fast: {took:?}");
    tokio::time::sleep(Duration::from_secs(2)).await;

    database.resume();
    let resumed = Instant::now();
    while server.get("/ready", None).await.status != 200 {
        assert!(resumed.elapsed() < Duration::from_secs(30), "the server never became ready again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovery = resumed.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    running.store(false, Ordering::Relaxed);
    let answers = stream.await.unwrap();

    let acknowledged: Vec<_> = answers.iter().filter(|(a, _)| a.status == 201).map(|(a, _)| &a.body).collect();
    let unavailable: Vec<_> = answers.iter().filter(|(a, _)| a.status == 503).collect();
    let slowest_503 = unavailable.iter().map(|(_, took)| *took).max().unwrap_or_default();
    let first_201_after = answers.iter().rposition(|(a, _)| a.status == 503).map(|i| answers.len() - i - 1);
    println!(
        "outage: {} orders answered, {} acknowledged (201), {} refused with 503 (slowest {slowest_503:?}), \
         ready again {recovery:?} after the database, {:?} orders placed after it",
        answers.len(),
        acknowledged.len(),
        unavailable.len(),
        first_201_after
    );
    for (other, _) in answers.iter().filter(|(a, _)| a.status != 201) {
        other.assert_problem(503, "service_unavailable");
    }
    assert!(!unavailable.is_empty() && first_201_after > Some(0), "orders failed during and succeeded after");
    assert!(slowest_503 < Duration::from_secs(5), "no request hung: {slowest_503:?}");

    for order in &acknowledged {
        let stored = server.get(&format!("/v1/orders/{}", order["id"].as_str().unwrap()), Some(&token)).await;
        assert_eq!(stored.expect(200), *order, "an acknowledged order is kept as acknowledged");
    }
    let stored_orders =
        server.get("/v1/orders?limit=100", Some(&admin)).await.expect(200)["items"].as_array().unwrap().len();
    let stock = server.stock(&product).await;
    assert_eq!(stock, 1_000 - stored_orders as i64, "every unit taken is in an order");
    assert!(stored_orders >= acknowledged.len());
}

/// A database made read-only (as a standby is, or an operator does in an emergency)
/// answers writes with 503 `service_unavailable` and `Retry-After`, not 500; reads go on,
/// and writes come back once the database does.
#[cfg_attr(not(postgres_server), ignore = "needs a PostgreSQL server: set ORDERS_TEST_POSTGRES_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_database_is_a_503_problem_not_a_500() {
    use orders_tests::stores::PostgresDatabase;
    use sea_orm::ConnectionTrait;
    let database = PostgresDatabase::on_the_test_server().await;
    let options = ServerOptions { database_url: Some(database.url.clone()), ..ServerOptions::default() };
    let server = TestServer::start_with(options).await;
    let name = database.url.rsplit('/').next().unwrap().to_owned();
    let superuser = sea_orm::Database::connect(std::env::var("ORDERS_TEST_POSTGRES_URL").unwrap()).await.unwrap();
    let read_only = |on: bool| {
        let (superuser, name, server) = (&superuser, &name, &server);
        async move {
            let setting = if on { "on" } else { "off" };
            superuser
                .execute_unprepared(&format!("ALTER DATABASE {name} SET default_transaction_read_only = {setting}"))
                .await
                .unwrap();
            let terminate = format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'");
            superuser.execute_unprepared(&terminate).await.unwrap();
            let started = Instant::now();
            while server.get("/ready", None).await.status != 200 {
                assert!(started.elapsed() < Duration::from_secs(10), "the server did not reconnect");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };

    read_only(true).await;
    let refused = server.register("read-only@example.com", "a long password").await;
    refused.assert_problem(503, "service_unavailable");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert!(server.log().contains("read-only transaction"), "the cause is logged");
    server.get("/v1/products", None).await.expect(200);

    read_only(false).await;
    server.register("read-only@example.com", "a long password").await.expect(201);
}
