//! A webhook endpoint for the tests: an HTTP server on 127.0.0.1 that records every
//! delivery it is sent (its Standard Webhooks headers and body) and answers 204. It can
//! be stopped and started again on the same address, to play an endpoint that is down
//! for a while.

use poem::listener::TcpListener;
use poem::{Request, Server};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// One delivery as the endpoint received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

/// A running endpoint; stopped when dropped.
pub struct Receiver {
    pub address: SocketAddr,
    received: Arc<Mutex<Vec<Delivery>>>,
    stop: Option<oneshot::Sender<()>>,
}

/// An address of 127.0.0.1 nothing listens on now.
pub fn free_address() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("a free port")
}

impl Receiver {
    /// Listens on `address`, recording into `received` (so that deliveries made before
    /// a restart are kept).
    pub async fn start(address: SocketAddr, received: Arc<Mutex<Vec<Delivery>>>) -> Self {
        let recorded = received.clone();
        let endpoint = poem::endpoint::make(move |mut request: Request| {
            let recorded = recorded.clone();
            async move {
                let header = |name: &str| {
                    request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
                };
                let (id, timestamp, signature) =
                    (header("webhook-id"), header("webhook-timestamp"), header("webhook-signature"));
                let body = request.take_body().into_string().await.unwrap_or_default();
                recorded.lock().unwrap().push(Delivery { id, timestamp, signature, body });
                poem::http::StatusCode::NO_CONTENT
            }
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let server = Server::new(TcpListener::bind(address));
        tokio::spawn(server.run_with_graceful_shutdown(endpoint, async { stopped.await.unwrap_or(()) }, None));
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(address).await.is_err() {
            assert!(Instant::now() < deadline, "the receiver does not listen on {address}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self { address, received, stop: Some(stop) }
    }

    pub fn url(&self) -> String {
        url_of(self.address)
    }

    /// Every delivery so far.
    pub fn received(&self) -> Vec<Delivery> {
        self.received.lock().unwrap().clone()
    }

    /// Stops listening, and waits until the address refuses connections.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(self.address).await.is_ok() {
            assert!(Instant::now() < deadline, "the receiver still listens on {}", self.address);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The endpoint URL for deliveries to `address`.
pub fn url_of(address: SocketAddr) -> String {
    format!("http://{address}/hooks")
}

/// Waits until `done` holds for what `received` holds, at most `within`: whether it did.
pub async fn wait_until(
    received: &Arc<Mutex<Vec<Delivery>>>,
    within: Duration,
    done: impl Fn(&[Delivery]) -> bool,
) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if done(&received.lock().unwrap()) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
