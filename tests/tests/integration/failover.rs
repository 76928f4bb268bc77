//! The replicated deployment (`deploy/local-cluster.sh`: etcd, three Patroni-managed
//! PostgreSQL nodes in synchronous mode, HAProxy, two servers) under load while its
//! primary is killed three times in a row, then switched over: 16 clients place orders
//! (each waiting 300 ms between two) through HAProxy with `Idempotency-Key`s, retrying 503s, 409 `idempotency_key_in_use`
//! and connection errors with the same key, until each order is answered 201. Then, on
//! the leader: every acknowledged order is there with its lines, no key placed two
//! orders, and the stock taken is exactly the units in the orders. It prints, for each
//! kill and the switchover, the seconds until the first 201 of a request sent after it,
//! and the 503s clients met (docs/deployment.md quotes a run). Before the load, it checks
//! that the servers take the client's address from HAProxy's `X-Forwarded-For`, and
//! from nobody else's.
//!
//! Ignored unless asked for (it runs the cluster for about four minutes); .ci/run runs
//! it alone with `ORDERS_REQUIRE_PATRONI=1 cargo test -p orders-tests --test integration
//! failover -- --ignored`, after installing `patroni`, `etcd-server` and `haproxy`.

use orders_tests::cluster::{Cluster, FAILED_LOGINS_PER_ADDRESS};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const CLIENTS: usize = 16;
const PRODUCTS: usize = 4;
const STOCK: i64 = 1_000_000;
const KILLS: usize = 3;
/// How long clients wait before sending a refused request again.
const RETRY_PAUSE: Duration = Duration::from_millis(100);
/// How long each client waits between orders: the 16 of them offer at most about 50
/// orders a second, well under what the debug servers on a busy 2-core machine place
/// (about 90 a second), so that what is measured is the failover, not a saturated
/// service whose requests pass the pool timeout whenever anything else needs the CPU.
const THINK: Duration = Duration::from_millis(300);
/// Longest a failover may take before the test gives up on it.
const RECOVERY_LIMIT: Duration = Duration::from_secs(90);

#[cfg_attr(
    not(patroni_cluster),
    ignore = "needs patroni, etcd and haproxy (Debian's packages patroni, etcd-server, haproxy)"
)]
#[cfg_attr(patroni_cluster, ignore = "runs a Patroni cluster for about four minutes; .ci/run runs it with --ignored")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_failovers_and_a_switchover_under_load_lose_no_acknowledged_order() {
    let cluster = Cluster::up();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(40)).build().unwrap();
    x_forwarded_for_is_trusted_from_haproxy_only(&http, &cluster).await;
    let products = seed_products(&cluster);
    let tokens = customers(&http, cluster.orders_url()).await;

    let load = Load::start(&http, cluster.orders_url(), &tokens, &products);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut events = Vec::new();
    for round in 1..=KILLS {
        let (node, at) = tokio::task::block_in_place(|| cluster.kill_primary());
        load.wait_for_a_201_sent_after(at, &cluster).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        events.push(Event { name: format!("kill {round} ({node})"), at });
        tokio::task::block_in_place(|| cluster.heal());
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let (node, at) = tokio::task::block_in_place(|| cluster.switchover());
    load.wait_for_a_201_sent_after(at, &cluster).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    events.push(Event { name: format!("switchover (from {node})"), at });
    let answers = load.stop().await;

    let report = Report::of(&answers, &events);
    println!("{report}");
    let unexpected: Vec<_> = answers.iter().filter(|a| !a.is_expected()).collect();
    assert!(unexpected.is_empty(), "answers no client should get: {unexpected:?}");
    let leader = Database::connect(cluster.primary_url()).await.expect("the leader answers");
    check_on_the_leader(&leader, &answers, &products).await;
    assert!(report.rows.iter().all(|row| row.first_201.is_some()), "every failover ended: {report}");
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
        let signed_up = http.post(format!("{base}/v1/users")).json(&body).send().await.unwrap();
        assert_eq!(signed_up.status(), 201, "{}", signed_up.text().await.unwrap());
        let form = [("username", email.as_str()), ("password", "a long password")];
        let token: Value =
            http.post(format!("{base}/v1/auth/token")).form(&form).send().await.unwrap().json().await.unwrap();
        tokens.push(token["access_token"].as_str().expect("a token").to_owned());
    }
    tokens
}

fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_millis() as u64
}

/// One answer a client got (or the error it met instead).
#[derive(Debug, Clone)]
struct Answer {
    client: usize,
    key: String,
    sent_ms: u64,
    answered_ms: u64,
    /// The HTTP status; 0 for a connection error or a timeout.
    status: u16,
    code: Option<String>,
    /// The lines asked for: `(product id, quantity)`.
    lines: Vec<(String, i64)>,
    body: Option<Value>,
}

impl Answer {
    /// Whether the client should send the same request again.
    fn is_retried(&self) -> bool {
        matches!(self.status, 0 | 502 | 503 | 504)
            || (self.status == 409 && self.code.as_deref() == Some("idempotency_key_in_use"))
    }

    fn is_expected(&self) -> bool {
        self.status == 201 || self.is_retried()
    }
}

/// The clients, placing orders until stopped.
struct Load {
    running: Arc<AtomicBool>,
    /// When the latest 201 answered was sent (Unix ms).
    last_201_sent: Arc<AtomicU64>,
    clients: Vec<tokio::task::JoinHandle<Vec<Answer>>>,
}

impl Load {
    fn start(http: &reqwest::Client, base: &str, tokens: &[String], products: &[String]) -> Self {
        let running = Arc::new(AtomicBool::new(true));
        let last_201_sent = Arc::new(AtomicU64::new(0));
        let clients = tokens
            .iter()
            .enumerate()
            .map(|(client, token)| {
                let (http, base, token, products) = (http.clone(), base.to_owned(), token.clone(), products.to_vec());
                let (running, last_201_sent) = (running.clone(), last_201_sent.clone());
                tokio::spawn(async move {
                    let mut answers = Vec::new();
                    let mut n = 0;
                    while running.load(Ordering::Relaxed) {
                        n += 1;
                        let key = format!("client-{client}-order-{n}");
                        let lines = some_lines(&products, client + n);
                        loop {
                            let answer = place(&http, &base, &token, client, &key, &lines).await;
                            let retried = answer.is_retried();
                            if answer.status == 201 {
                                last_201_sent.fetch_max(answer.sent_ms, Ordering::Relaxed);
                            }
                            answers.push(answer);
                            if !retried {
                                break;
                            }
                            tokio::time::sleep(RETRY_PAUSE).await;
                        }
                        tokio::time::sleep(THINK).await;
                        if n.is_multiple_of(10) {
                            let product = &products[n % products.len()];
                            let read = http.get(format!("{base}/v1/products/{product}")).send().await;
                            let status = read.map(|r| r.status().as_u16()).unwrap_or(0);
                            assert!(matches!(status, 200 | 503 | 0), "a catalogue read answered {status}");
                        }
                    }
                    answers
                })
            })
            .collect();
        Self { running, last_201_sent, clients }
    }

    /// Waits until a request sent after `at` (Unix ms) was answered 201.
    async fn wait_for_a_201_sent_after(&self, at: u64, cluster: &Cluster) {
        let started = Instant::now();
        while self.last_201_sent.load(Ordering::Relaxed) < at {
            assert!(started.elapsed() < RECOVERY_LIMIT, "no order placed since the event; {}", cluster.status());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the clients once each has its order in hand: every answer they got.
    async fn stop(self) -> Vec<Answer> {
        self.running.store(false, Ordering::Relaxed);
        let mut answers = Vec::new();
        for client in self.clients {
            answers.extend(client.await.expect("a client finished"));
        }
        answers
    }
}

/// One or two lines (every other order has two), of one to three units each, varied by `n`.
fn some_lines(products: &[String], n: usize) -> Vec<(String, i64)> {
    let first = n % products.len();
    let quantity = |n: usize| (n % 3) as i64 + 1;
    let mut lines = vec![(products[first].clone(), quantity(n))];
    if n.is_multiple_of(2) {
        lines.push((products[(first + 1) % products.len()].clone(), quantity(n / 2)));
    }
    lines
}

async fn place(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    client: usize,
    key: &str,
    lines: &[(String, i64)],
) -> Answer {
    let items: Vec<Value> =
        lines.iter().map(|(id, quantity)| json!({"product_id": id, "quantity": quantity})).collect();
    let sent_ms = unix_ms();
    let sent = http
        .post(format!("{base}/v1/orders"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({"items": items}))
        .send()
        .await;
    let (status, body) = match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.ok())
        }
        Err(_) => (0, None),
    };
    let code = body.as_ref().and_then(|b| b["code"].as_str()).map(str::to_owned);
    Answer { client, key: key.to_owned(), sent_ms, answered_ms: unix_ms(), status, code, lines: lines.to_vec(), body }
}

/// A kill or a switchover, and when it was done (Unix ms).
struct Event {
    name: String,
    at: u64,
}

/// What clients met after each event, until the next.
struct Report {
    rows: Vec<Row>,
    answers: usize,
    acknowledged: usize,
}

struct Row {
    name: String,
    /// Seconds from the event to the first 201 of a request sent after it.
    first_201: Option<f64>,
    /// 503 answers, and the seconds from the first to the last of them.
    unavailable: usize,
    unavailable_span: f64,
    /// The longest time between two 201s answered from the event to the next, in
    /// seconds: how long no order was placed.
    longest_gap: f64,
    /// Other answers that were retried: connection errors, 502/504 from HAProxy, 409 in use.
    other_retried: usize,
    /// The slowest answer, in seconds.
    slowest: f64,
    /// `(second after the event, 503s answered in it)`, for the seconds that had any.
    timeline: Vec<(u64, usize)>,
}

impl Report {
    fn of(answers: &[Answer], events: &[Event]) -> Self {
        let rows = events
            .iter()
            .enumerate()
            .map(|(i, event)| {
                let until = events.get(i + 1).map_or(u64::MAX, |next| next.at);
                let within: Vec<_> =
                    answers.iter().filter(|a| a.answered_ms >= event.at && a.answered_ms < until).collect();
                let seconds = |ms: u64| ms as f64 / 1000.0;
                let first_201 = within
                    .iter()
                    .filter(|a| a.status == 201 && a.sent_ms >= event.at)
                    .map(|a| a.answered_ms - event.at)
                    .min()
                    .map(seconds);
                let unavailable: Vec<_> = within.iter().filter(|a| a.status == 503).map(|a| a.answered_ms).collect();
                let mut placed: Vec<_> = answers
                    .iter()
                    .filter(|a| a.status == 201 && a.answered_ms < until)
                    .map(|a| a.answered_ms)
                    .collect();
                placed.sort_unstable();
                let from = placed.iter().rposition(|at| *at < event.at).unwrap_or(0);
                let longest_gap = placed[from..].windows(2).map(|pair| pair[1] - pair[0]).max().map_or(0.0, seconds);
                let mut timeline = std::collections::BTreeMap::new();
                for at in &unavailable {
                    *timeline.entry((at - event.at) / 1000).or_insert(0) += 1;
                }
                let span = match (unavailable.iter().min(), unavailable.iter().max()) {
                    (Some(first), Some(last)) => seconds(last - first),
                    _ => 0.0,
                };
                Row {
                    name: event.name.clone(),
                    first_201,
                    unavailable: unavailable.len(),
                    unavailable_span: span,
                    longest_gap,
                    other_retried: within.iter().filter(|a| a.is_retried() && a.status != 503).count(),
                    slowest: within.iter().map(|a| seconds(a.answered_ms - a.sent_ms)).fold(0.0, f64::max),
                    timeline: timeline.into_iter().collect(),
                }
            })
            .collect();
        Self { rows, answers: answers.len(), acknowledged: answers.iter().filter(|a| a.status == 201).count() }
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} answers, {} orders acknowledged (201)", self.answers, self.acknowledged)?;
        writeln!(
            f,
            "| event | first 201 after (s) | no 201 for (s) | 503s | 503s span (s) | other retried | slowest answer (s) |"
        )?;
        writeln!(f, "|---|---|---|---|---|---|---|")?;
        for row in &self.rows {
            let first = row.first_201.map_or("none".to_owned(), |s| format!("{s:.1}"));
            writeln!(
                f,
                "| {} | {first} | {:.1} | {} | {:.1} | {} | {:.1} |",
                row.name, row.longest_gap, row.unavailable, row.unavailable_span, row.other_retried, row.slowest
            )?;
        }
        for row in &self.rows {
            let seconds: Vec<_> = row.timeline.iter().map(|(second, count)| format!("{second}s:{count}")).collect();
            writeln!(f, "503s by second after {}: {}", row.name, seconds.join(" "))?;
        }
        Ok(())
    }
}

/// On the leader: every acknowledged order with its lines, no order that was not
/// acknowledged (every request was retried until answered, so an order without an
/// acknowledgement would be a second one for its key), every key naming its order, and
/// the stock taken equal to the units ordered.
async fn check_on_the_leader(leader: &DatabaseConnection, answers: &[Answer], products: &[String]) {
    let acknowledged: HashMap<&str, &Answer> = answers
        .iter()
        .filter(|a| a.status == 201)
        .map(|a| (a.body.as_ref().and_then(|b| b["id"].as_str()).expect("a 201 names its order"), a))
        .collect();
    let keys: HashSet<(usize, &str)> = answers.iter().map(|a| (a.client, a.key.as_str())).collect();
    assert_eq!(acknowledged.len(), keys.len(), "every key got one order, acknowledged once or replayed");

    let rows = query(
        leader,
        "SELECT order_id::text, product_id::text, quantity::int8 FROM order_lines ORDER BY order_id, line_no",
    )
    .await;
    let mut stored: HashMap<String, Vec<(String, i64)>> = HashMap::new();
    for row in &rows {
        let order: String = row.try_get_by_index(0).unwrap();
        stored.entry(order).or_default().push((row.try_get_by_index(1).unwrap(), row.try_get_by_index(2).unwrap()));
    }
    let orders: HashSet<String> = query(leader, "SELECT id::text FROM orders WHERE status = 'placed'")
        .await
        .iter()
        .map(|r| r.try_get_by_index(0).unwrap())
        .collect();
    for (id, answer) in &acknowledged {
        assert!(orders.contains(*id), "acknowledged order {id} (key {}) is on the leader", answer.key);
        assert_eq!(stored.get(*id), Some(&answer.lines), "order {id} has the lines asked for");
    }
    let unacknowledged: Vec<_> = orders.iter().filter(|id| !acknowledged.contains_key(id.as_str())).collect();
    assert!(unacknowledged.is_empty(), "orders no client was answered: {unacknowledged:?}");
    let placed_keys = query(leader, "SELECT key, order_id::text FROM idempotency_keys WHERE outcome = 'placed'").await;
    assert_eq!(placed_keys.len(), acknowledged.len(), "one key per order");
    for row in &placed_keys {
        let (key, order): (String, String) = (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap());
        assert_eq!(acknowledged.get(order.as_str()).map(|a| a.key.as_str()), Some(key.as_str()), "key {key}");
    }

    let stock: HashMap<String, i64> = query(leader, "SELECT id::text, stock::int8 FROM products")
        .await
        .iter()
        .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap()))
        .collect();
    let mut units = 0;
    for product in products {
        let ordered: i64 = stored.values().flatten().filter(|(id, _)| id == product).map(|(_, q)| q).sum();
        assert_eq!(STOCK, stock[product] + ordered, "stock of {product} is conserved");
        units += ordered;
    }
    println!(
        "on the leader: {} orders, every acknowledged one with its lines, {} keys, {units} units taken = ordered",
        orders.len(),
        placed_keys.len()
    );
}

async fn query(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql)).await.expect("the leader answers")
}
