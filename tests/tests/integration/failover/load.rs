//! The clients of the failover test: each places orders with keys of its own through
//! HAProxy, sending a refused request again with the same key until it is answered, and
//! keeps every answer.

use orders_tests::cluster::Cluster;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long clients wait before sending a refused request again.
const RETRY_PAUSE: Duration = Duration::from_millis(100);
/// How long each client waits between orders: the 16 of them offer at most about 50
/// orders a second, well under what the debug servers on a busy 2-core machine place
/// (about 90 a second), so that what is measured is the failover, not a saturated
/// service whose requests pass the pool timeout whenever anything else needs the CPU.
const THINK: Duration = Duration::from_millis(300);
/// Longest a failover may take before the test gives up on it.
const RECOVERY_LIMIT: Duration = Duration::from_secs(90);

fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_millis() as u64
}

/// One answer a client got (or the error it met instead).
#[derive(Debug, Clone)]
pub(super) struct Answer {
    pub(super) client: usize,
    pub(super) key: String,
    pub(super) sent_ms: u64,
    pub(super) answered_ms: u64,
    /// The HTTP status; 0 for a connection error or a timeout.
    pub(super) status: u16,
    pub(super) code: Option<String>,
    /// The lines asked for: `(product id, quantity)`.
    pub(super) lines: Vec<(String, i64)>,
    pub(super) body: Option<Value>,
}

impl Answer {
    /// Whether the client should send the same request again.
    pub(super) fn is_retried(&self) -> bool {
        matches!(self.status, 0 | 502 | 503 | 504)
            || (self.status == 409 && self.code.as_deref() == Some("idempotency_key_in_use"))
    }

    pub(super) fn is_expected(&self) -> bool {
        self.status == 201 || self.is_retried()
    }
}

/// The clients, placing orders until stopped.
pub(super) struct Load {
    running: Arc<AtomicBool>,
    /// When the latest 201 answered was sent (Unix ms).
    last_201_sent: Arc<AtomicU64>,
    clients: Vec<tokio::task::JoinHandle<Vec<Answer>>>,
}

impl Load {
    pub(super) fn start(http: &reqwest::Client, base: &str, tokens: &[String], products: &[String]) -> Self {
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
    pub(super) async fn wait_for_a_201_sent_after(&self, at: u64, cluster: &Cluster) {
        let started = Instant::now();
        while self.last_201_sent.load(Ordering::Relaxed) < at {
            assert!(started.elapsed() < RECOVERY_LIMIT, "no order placed since the event; {}", cluster.status());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the clients once each has its order in hand: every answer they got.
    pub(super) async fn stop(self) -> Vec<Answer> {
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
