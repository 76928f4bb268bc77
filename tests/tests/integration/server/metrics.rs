//! Over a real socket, `/metrics`: what happened is counted, Prometheus' own `promtool`
//! accepts the exposition, and a real Prometheus scraping the server reads the orders
//! back through its HTTP API.

use orders_tests::postgres_server::free_port;
use orders_tests::server::{ServerOptions, TestServer};
use std::time::{Duration, Instant};

/// The value of the sample `series` (name and labels exactly as exposed), if exposed.
pub(super) fn sample(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

/// Places `placed` orders, one refused for stock, one replayed, and cancels one.
async fn order_activity(server: &TestServer, placed: usize) {
    let admin = server.admin_token().await;
    let pen = server.product(&admin, 150, 1_000).await;
    let (_, token) = server.customer().await;
    let mut first = None;
    for n in 0..placed {
        let order = server.place_order(&token, &[(&pen, 1)], Some(&format!("key-{n}"))).await.expect(201).clone();
        first.get_or_insert(order);
    }
    server.place_order(&token, &[(&pen, 1)], Some("key-0")).await.expect(201);
    server.place_order(&token, &[(&pen, 5_000)], None).await.assert_problem(409, "out_of_stock");
    let first = first.expect("at least one order");
    let cancel = format!("/v1/orders/{}/cancel", first["id"].as_str().unwrap());
    server.post(&cancel, Some(&token), &serde_json::json!({})).await.expect(200);
}

#[tokio::test]
async fn metrics_count_orders_refusals_replays_cancels_and_requests_by_route() {
    let server = TestServer::start().await;
    order_activity(&server, 3).await;
    server.request_token("nobody@example.com", "wrong password").await.assert_problem(401, "invalid_credentials");
    let metrics = server.get("/metrics", None).await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.header("content-type").is_some_and(|kind| kind.starts_with("text/plain; version=0.0.4")));
    let text = &metrics.text;
    assert_eq!(sample(text, "orders_placed_total"), Some(3.0), "{text}");
    assert_eq!(sample(text, "idempotent_replays_total"), Some(1.0));
    assert_eq!(sample(text, r#"orders_refused_total{reason="out_of_stock"}"#), Some(1.0));
    assert_eq!(sample(text, "orders_cancelled_total"), Some(1.0));
    assert_eq!(sample(text, "login_failures_total"), Some(1.0));
    let placements = r#"http_server_request_duration_seconds_count{http_route="/v1/orders",http_request_method="POST",http_response_status_code="201"}"#;
    assert_eq!(sample(text, placements), Some(4.0), "three placed and one replay");
    let cancels = r#"http_server_request_duration_seconds_count{http_route="/v1/orders/{id}/cancel",http_request_method="POST",http_response_status_code="200"}"#;
    assert_eq!(sample(text, cancels), Some(1.0));
    for gauge in ["process_resident_memory_bytes", "process_open_fds", "orders_db_connections_idle"] {
        assert!(sample(text, gauge).is_some_and(|value| value > 0.0), "{gauge} in {text}");
    }
    assert!(sample(text, "orders_sqlite_commit_batch_size_count").is_some_and(|batches| batches >= 1.0));
    assert_eq!(sample(text, "orders_db_requests_waiting"), Some(0.0), "nothing waits for the idle writer");
    let turns = sample(text, "orders_db_connection_acquire_seconds_count").expect("waits for the writer are timed");
    assert!(turns >= 4.0, "every order and the cancel waited for its turn: {turns}");
    assert!(server.get("/openapi.json", None).await.body["paths"].get("/metrics").is_none(), "not in the API");
}

#[tokio::test]
async fn made_up_methods_share_one_series_so_clients_cannot_multiply_them() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    for method in ["BREW", "PURGE", "X-ANYTHING"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let answer = http.request(method, server.url("/v1/products")).send().await.unwrap();
        assert_eq!(answer.status(), 405);
    }
    let text = server.get("/metrics", None).await.text;
    let other = r#"http_server_request_duration_seconds_count{http_route="/v1/products",http_request_method="_OTHER",http_response_status_code="405"}"#;
    assert_eq!(sample(&text, other), Some(3.0), "{text}");
    assert!(!text.contains("BREW") && !text.contains("PURGE"), "{text}");
}

#[tokio::test]
async fn metrics_off_or_on_an_address_of_their_own() {
    let off = TestServer::start_with(ServerOptions {
        extra_args: ["--metrics", "false"].map(String::from).to_vec(),
        ..ServerOptions::default()
    })
    .await;
    off.get("/metrics", None).await.assert_problem(404, "not_found");

    let port = free_port();
    let own = TestServer::start_with(ServerOptions {
        extra_args: vec!["--metrics-bind".into(), format!("127.0.0.1:{port}")],
        ..ServerOptions::default()
    })
    .await;
    own.get("/metrics", None).await.assert_problem(404, "not_found");
    let scraped = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap().text().await.unwrap();
    assert!(sample(&scraped, "orders_placed_total").is_some(), "{scraped}");
}

#[cfg_attr(not(prometheus), ignore = "needs Prometheus' promtool: apt-get install prometheus")]
#[tokio::test]
async fn promtool_accepts_the_exposition() {
    use std::io::Write;
    let server = TestServer::start().await;
    order_activity(&server, 2).await;
    let text = server.get("/metrics", None).await.text.clone();
    let mut promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool runs");
    promtool.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let checked = promtool.wait_with_output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&checked.stdout), String::from_utf8_lossy(&checked.stderr));
    assert!(checked.status.success() && said.trim().is_empty(), "promtool: {said}\n{text}");
}

/// A Prometheus of the test's own, scraping `target` every second, killed on drop.
struct Prometheus {
    child: std::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    fn scraping(target: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: orders\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let child = std::process::Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("prometheus.log")).unwrap())
            .spawn()
            .expect("prometheus starts");
        Self { child, url: format!("http://127.0.0.1:{port}"), _dir: dir }
    }

    /// The value of the instant query `query`, once Prometheus has one.
    async fn value(&self, query: &str) -> Option<f64> {
        let answer = reqwest::Client::new()
            .get(format!("{}/api/v1/query", self.url))
            .query(&[("query", query)])
            .send()
            .await
            .ok()?
            .json::<serde_json::Value>()
            .await
            .ok()?;
        answer["data"]["result"][0]["value"][1].as_str()?.parse().ok()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg_attr(not(prometheus), ignore = "needs Prometheus: apt-get install prometheus")]
#[tokio::test]
async fn a_real_prometheus_scraping_the_server_reads_the_orders_placed() {
    const PLACED: usize = 7;
    let server = TestServer::start().await;
    let prometheus = Prometheus::scraping(server.base_url.trim_start_matches("http://"));
    order_activity(&server, PLACED).await;
    let started = Instant::now();
    loop {
        let seen = prometheus.value("orders_placed_total").await;
        if seen == Some(PLACED as f64) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "Prometheus read {seen:?}, not {PLACED}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let refused = prometheus.value(r#"orders_refused_total{reason="out_of_stock"}"#).await;
    assert_eq!(refused, Some(1.0));
}

/// The metric names an expression selects: every name written right before `{`.
fn selected_metrics(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut name = String::new();
    for c in expr.chars() {
        match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' | ':' => name.push(c),
            '{' if !name.is_empty() => names.push(std::mem::take(&mut name)),
            _ => name.clear(),
        }
    }
    names
}

#[tokio::test]
async fn the_grafana_dashboard_parses_and_names_only_metrics_the_server_exports() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/grafana/orders-dashboard.json");
    let dashboard: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let exprs: Vec<&str> = dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|panel| panel["targets"].as_array().expect("targets"))
        .map(|target| target["expr"].as_str().expect("an expr"))
        .collect();
    assert!(exprs.len() >= 8, "{exprs:?}");

    let server = TestServer::start().await;
    order_activity(&server, 2).await;
    server.request_token("nobody@example.com", "wrong password").await;
    let exposition = server.get("/metrics", None).await.text.clone();
    for expr in exprs {
        let names = selected_metrics(expr);
        assert!(!names.is_empty(), "{expr:?} selects no metric with `name{{...}}`");
        for name in names {
            let exported = exposition
                .lines()
                .any(|line| line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} ")));
            assert!(exported, "the dashboard reads {name}, which the server does not export");
        }
    }
}
