//! End to end, over HTTP, on a throw-away PostgreSQL server of the test's own: when the
//! database goes away, `/health` stays 200, `/ready` and every request that needs the
//! database answer 503 problems fast and without internals; when it comes back, the
//! same server process serves again.

use orders_tests::postgres_server::PostgresServer;
use orders_tests::server::{ServerOptions, TestServer};
use std::time::{Duration, Instant};

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
    let product = server.product(&admin, 100, 5).await;

    database.stop();
    let started = Instant::now();
    let health = server.get("/health", None).await;
    let ready = server.get("/ready", None).await;
    let listing = server.get("/v1/products", None).await;
    let took = started.elapsed();

    health.expect(200);
    ready.assert_problem(503, "not_ready");
    let problem = listing.assert_problem(503, "service_unavailable");
    assert!(listing.header("retry-after").is_some());
    let detail = problem["detail"].as_str().unwrap().to_lowercase();
    assert!(!detail.contains("sqlx") && !detail.contains("127.0.0.1"), "internals shown: {detail}");
    assert!(took < Duration::from_secs(10), "answers came fast: {took:?}");

    database.resume();
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.get("/ready", None).await.status != 200 {
        assert!(Instant::now() < deadline, "the server never became ready again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(server.stock(&product).await, 5, "what was acknowledged before the outage is there");
}
