//! Over a real socket, on PostgreSQL and on SQLite: a burst beyond what the store can
//! serve gets fast 503 problems with `Retry-After` instead of piling up latency, and the
//! server serves normally once the pressure is gone.

use orders_tests::postgres_server::PostgresServer;
use orders_tests::server::{ServerOptions, TestServer, answer};
use sea_orm::{ConnectionTrait, Database, TransactionTrait};
use serde_json::json;
use std::time::{Duration, Instant};

#[cfg_attr(not(postgres_programs), ignore = "needs PostgreSQL's initdb and pg_ctl: install PostgreSQL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_beyond_the_pool_gets_fast_503s_with_retry_after() {
    let database = PostgresServer::start();
    let options = ServerOptions {
        database_url: Some(database.url()),
        extra_args: ["--max-connections", "1", "--pool-timeout-ms", "250"].map(String::from).to_vec(),
        ..ServerOptions::default()
    };
    let server = TestServer::start_with(options).await;
    let admin = server.admin_token().await;
    let product = server.product(&admin, 100, 100).await;
    let (_, token) = server.customer().await;
    let body = json!({"items": [{"product_id": product["id"], "quantity": 1}]});

    // Another client holds the product's row: the server's one connection gets stuck on it.
    let other = Database::connect(database.url()).await.unwrap();
    let blocker = other.begin().await.unwrap();
    let lock = format!("SELECT stock FROM products WHERE id = '{}' FOR UPDATE", product["id"].as_str().unwrap());
    blocker.execute_unprepared(&lock).await.unwrap();
    let stuck = tokio::spawn(answer(server.client().post(server.url("/v1/orders")).bearer_auth(&token).json(&body)));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let started = Instant::now();
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let request = server.client().post(server.url("/v1/orders")).bearer_auth(&token).json(&body);
        burst.spawn(async move {
            let sent = Instant::now();
            (answer(request).await, sent.elapsed())
        });
    }
    let answers = burst.join_all().await;
    let burst_took = started.elapsed();
    let slowest = answers.iter().map(|(_, took)| *took).max().unwrap();
    println!("a burst of 20 orders on a pool of 1 held busy: all answered in {burst_took:?}, slowest {slowest:?}");
    for (refused, _) in &answers {
        refused.assert_problem(503, "service_unavailable");
        assert!(refused.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok()));
    }
    assert!(slowest < Duration::from_secs(2), "no request waited much past the pool timeout: {slowest:?}");

    stuck.await.unwrap().assert_problem(503, "service_unavailable");

    blocker.rollback().await.unwrap();
    server.place_order(&token, &[(&product, 1)], None).await.expect(201);
    assert_eq!(server.stock(&product).await, 99, "only the acknowledged order took stock");
}

/// SQLite: while another process holds the write lock, the server's one writer waits for
/// it; the order it took, and a burst of orders queued behind it, get 503s once
/// `--pool-timeout-ms` passes, not a wait without end, and nothing of them is placed;
/// once the lock is free, orders are placed again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_burst_behind_a_stuck_writer_gets_fast_503s_with_retry_after() {
    use sea_orm::{SqliteTransactionMode, TransactionOptions};
    let options = ServerOptions {
        extra_args: ["--pool-timeout-ms", "250"].map(String::from).to_vec(),
        ..ServerOptions::default()
    };
    let server = TestServer::start_with(options).await;
    let admin = server.admin_token().await;
    let product = server.product(&admin, 100, 100).await;
    let (_, token) = server.customer().await;
    let body = json!({"items": [{"product_id": product["id"], "quantity": 1}]});

    // Another process's transaction holds SQLite's write lock.
    let other = Database::connect(&server.database_url).await.unwrap();
    let immediate =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    let blocker = other.begin_with_options(immediate).await.unwrap();
    let stuck = tokio::spawn(answer(server.client().post(server.url("/v1/orders")).bearer_auth(&token).json(&body)));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let request = server.client().post(server.url("/v1/orders")).bearer_auth(&token).json(&body);
        burst.spawn(async move {
            let sent = Instant::now();
            (answer(request).await, sent.elapsed())
        });
    }
    let answers = burst.join_all().await;
    let slowest = answers.iter().map(|(_, took)| *took).max().unwrap();
    println!("a burst of 20 orders behind a stuck SQLite writer: slowest answer after {slowest:?}");
    for (refused, _) in &answers {
        refused.assert_problem(503, "service_unavailable");
        assert!(refused.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok()));
    }
    assert!(slowest < Duration::from_secs(2), "no request waited much past the wait limit: {slowest:?}");

    stuck.await.unwrap().assert_problem(503, "service_unavailable");

    blocker.rollback().await.unwrap();
    server.place_order(&token, &[(&product, 1)], None).await.expect(201);
    assert_eq!(server.stock(&product).await, 99, "only the acknowledged order took stock");
}
