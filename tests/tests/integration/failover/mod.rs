//! The replicated deployment (`deploy/local-cluster.sh`: etcd, three Patroni-managed
//! PostgreSQL nodes in synchronous mode, HAProxy, two servers) under load while its
//! primary is killed three times in a row, then switched over: 16 clients place orders
//! (each waiting 300 ms between two) through HAProxy with `Idempotency-Key`s, retrying
//! 503s, 409 `idempotency_key_in_use` and connection errors with the same key, until
//! each order is answered 201. Then, on
//! the leader: every acknowledged order is there with its lines, no key placed two
//! orders, and the stock taken is exactly the units in the orders. It prints, for each
//! kill and the switchover, the seconds until the first 201 of a request sent after it,
//! and the 503s clients met (docs/deployment.md quotes a run), and fails when one missed
//! the deployment's targets (see `report.rs`). Before the load, it checks
//! that the servers take the client's address from HAProxy's `X-Forwarded-For`, and
//! from nobody else's.
//!
//! Ignored unless asked for (it runs the cluster for about four minutes); .ci/run runs
//! it alone with `ORDERS_REQUIRE_PATRONI=1 cargo test -p orders-tests --test integration
//! failover -- --ignored`, after installing `patroni`, `etcd-server` and `haproxy`.
//!
//! `load.rs`: the clients and what they were answered; `report.rs`: what each event cost;
//! `leader.rs`: the checks on the leader.

mod leader;
mod load;
mod report;

use leader::check_on_the_leader;
use load::Load;
use orders_tests::cluster::{Cluster, FAILED_LOGINS_PER_ADDRESS};
use report::{Event, Report};
use sea_orm::Database;
use serde_json::{Value, json};
use std::time::Duration;

const CLIENTS: usize = 16;
const PRODUCTS: usize = 4;
/// Each product's stock at the start.
const STOCK: i64 = 1_000_000;
const KILLS: usize = 3;

#[cfg_attr(
    not(patroni_cluster),
    ignore = "needs patroni, etcd and haproxy (Debian's packages patroni, etcd-server, haproxy)"
)]
#[cfg_attr(patroni_cluster, ignore = "runs a Patroni cluster for about four minutes; .ci/run runs it with --ignored")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_failovers_and_a_switchover_under_load_lose_no_acknowledged_order() {
    let cluster = Cluster::up();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(40)).build().unwrap();
    let products = seed_products(&cluster);
    let tokens = customers(&http, cluster.orders_url()).await;
    // After the customers logged in: it leaves the first server refusing logins from
    // 127.0.0.1, as it should.
    x_forwarded_for_is_trusted_from_haproxy_only(&http, &cluster).await;

    let load = Load::start(&http, cluster.orders_url(), &tokens, &products);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut events = Vec::new();
    for round in 1..=KILLS {
        let (node, at) = tokio::task::block_in_place(|| cluster.kill_primary());
        load.wait_for_a_201_sent_after(at, &cluster).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        events.push(Event { name: format!("kill {round} ({node})"), at, planned: false });
        tokio::task::block_in_place(|| cluster.heal());
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let (node, at) = tokio::task::block_in_place(|| cluster.switchover());
    load.wait_for_a_201_sent_after(at, &cluster).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    events.push(Event { name: format!("switchover (from {node})"), at, planned: true });
    let answers = load.stop().await;

    let report = Report::of(&answers, &events);
    println!("{report}");
    let unexpected: Vec<_> = answers.iter().filter(|a| !a.is_expected()).collect();
    assert!(unexpected.is_empty(), "answers no client should get: {unexpected:?}");
    let leader = Database::connect(cluster.primary_url()).await.expect("the leader answers");
    check_on_the_leader(&leader, &answers, &products).await;
    let missed = report.missed_targets();
    assert!(missed.is_empty(), "targets missed: {missed:?}");
}

/// The first server counts failed logins by client address. Reached directly from
/// 127.0.0.1, it counts them for 127.0.0.1 whatever `X-Forwarded-For` says; through
/// HAProxy (which connects from 127.0.0.2, the one proxy the servers trust) it counts
/// them for the address HAProxy names, 127.0.0.1 again. So once 127.0.0.1 is over the
/// limit there, a login with a forged header is refused directly, and so is every one
/// HAProxy sends to that server; the other server, which counted none, checks each of
/// as many as the limit.
async fn x_forwarded_for_is_trusted_from_haproxy_only(http: &reqwest::Client, cluster: &Cluster) {
    let fail = |url: String, forged: Option<&'static str>| {
        let email = format!("nobody-{}@example.com", uuid::Uuid::now_v7().simple());
        let form = [("username", email.as_str()), ("password", "wrong password")];
        let mut login = http.post(format!("{url}/v1/auth/token")).header("Connection", "close").form(&form);
        if let Some(forged) = forged {
            login = login.header("X-Forwarded-For", forged);
        }
        async move { login.send().await.expect("the server answers").status().as_u16() }
    };
    let first = cluster.server_urls()[0].to_owned();
    for _ in 0..FAILED_LOGINS_PER_ADDRESS {
        assert_eq!(fail(first.clone(), Some("203.0.113.7")).await, 401);
    }
    assert_eq!(fail(first.clone(), Some("198.51.100.9")).await, 429, "a forged X-Forwarded-For is ignored");
    let mut through_haproxy = Vec::new();
    for _ in 0..FAILED_LOGINS_PER_ADDRESS {
        through_haproxy.push(fail(cluster.orders_url().to_owned(), None).await);
    }
    let refused = through_haproxy.iter().filter(|status| **status == 429).count();
    assert!(
        refused > 0 && through_haproxy.iter().all(|status| matches!(status, 401 | 429)),
        "HAProxy's X-Forwarded-For names the client to the first server: {through_haproxy:?}"
    );
}

/// Products with plenty of stock, made with `ordersctl` on the primary: their ids.
fn seed_products(cluster: &Cluster) -> Vec<String> {
    (0..PRODUCTS)
        .map(|n| {
            let sku = format!("HA-{n}");
            let stock = STOCK.to_string();
            let printed = cluster.ordersctl(&[
                "products",
                "create",
                "--sku",
                &sku,
                "--name",
                &sku,
                "--price-cents",
                "199",
                "--stock",
                &stock,
            ]);
            let product: Value = serde_json::from_str(&printed).expect("ordersctl --json prints the product");
            product["id"].as_str().expect("an id").to_owned()
        })
        .collect()
}

/// A token for each of [`CLIENTS`] new customers, signed up and logged in through HAProxy.
async fn customers(http: &reqwest::Client, base: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for n in 0..CLIENTS {
        let email = format!("client-{n}-{}@example.com", uuid::Uuid::now_v7().simple());
        let body = json!({"email": email, "password": "a long password"});
        let signed_up = until_not_busy(|| http.post(format!("{base}/v1/users")).json(&body)).await;
        assert_eq!(signed_up.0, 201, "{}", signed_up.1);
        let form = [("username", email.as_str()), ("password", "a long password")];
        let (status, token) = until_not_busy(|| http.post(format!("{base}/v1/auth/token")).form(&form)).await;
        assert_eq!(status, 200, "{token}");
        tokens.push(token["access_token"].as_str().expect("a token").to_owned());
    }
    tokens
}

/// The answer to the request `make` builds, sent again while the servers answer 503
/// (password hashing is bounded, and the test's machine is busy): status and body.
async fn until_not_busy(make: impl Fn() -> reqwest::RequestBuilder) -> (u16, Value) {
    for _ in 0..20 {
        let answer = make().send().await.unwrap();
        let status = answer.status().as_u16();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        if status != 503 {
            return (status, body);
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    panic!("the servers kept answering 503");
}
