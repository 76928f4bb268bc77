//! What webhooks cost (`--webhooks`): orders/s with one webhook endpoint registered
//! against none, in alternating slices of the same run (the shared machine's drift hits
//! both alike), and how long an order takes from its creation to its delivery. The
//! endpoint is a receiver in this process on 127.0.0.1 (so the server runs with
//! `--webhook-allow-private`, and `--demo` for an admin to register it), answering
//! every delivery 204 at once; it shares the machine's cores with the server and the
//! load generator, as a real endpoint on another machine would not, so it runs on a
//! thread of lower priority, as the server's sending thread does.
//!
//! The lag is measured from the order's `created_at` (taken by the server as it began
//! placing the order, before its commit) to the delivery's arrival: an upper bound of
//! the time from commit to delivery, by the order's own placement time (a few ms).

use crate::load::{self, Request};
use anyhow::{Context, bail};
use bytes::{Buf, BytesMut};
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What `--webhooks` measured on one database.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookRun {
    pub connections: usize,
    pub without_per_s: f64,
    pub with_per_s: f64,
    /// With ÷ without.
    pub ratio: f64,
    /// Orders placed while the endpoint was registered (warm-ups included).
    pub placed: u64,
    /// `order.placed` deliveries received of them.
    pub delivered: u64,
    pub lag_p50_ms: f64,
    pub lag_p99_ms: f64,
    pub lag_max_ms: f64,
}

/// The endpoint: counts `order.placed` deliveries and their lags.
#[derive(Clone)]
pub struct Receiver {
    pub address: SocketAddr,
    lags_ms: Arc<Mutex<Vec<f64>>>,
}

impl Receiver {
    /// Starts the receiver on a thread of its own, at the sending thread's lower
    /// priority: it stands in for an endpoint on another machine, so it takes the CPU
    /// the server and the load generator leave, as the server's deliveries do.
    pub async fn start() -> anyhow::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let lags_ms: Arc<Mutex<Vec<f64>>> = Arc::default();
        let recorded = lags_ms.clone();
        let runtime = orders_adapters::webhooks::lowered_runtime("webhook-receiver")?;
        let listener = {
            let _inside = runtime.enter();
            TcpListener::from_std(listener)?
        };
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, recorded.clone()));
            }
        });
        Ok(Self { address, lags_ms })
    }

    /// The lags recorded since the last call.
    pub fn take(&self) -> Vec<f64> {
        std::mem::take(&mut *self.lags_ms.lock().unwrap())
    }

    fn count(&self) -> usize {
        self.lags_ms.lock().unwrap().len()
    }

    /// Waits until `expected` deliveries arrived, or none arrived for a few seconds.
    pub async fn settle(&self, expected: usize) {
        let (mut seen, mut last_change) = (self.count(), Instant::now());
        while seen < expected && last_change.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let now = self.count();
            if now != seen {
                (seen, last_change) = (now, Instant::now());
            }
        }
    }
}

/// Reads requests on one connection, answering each 204.
async fn serve(mut stream: TcpStream, lags_ms: Arc<Mutex<Vec<f64>>>) {
    let mut buffer = BytesMut::with_capacity(16 * 1024);
    loop {
        let (head, length) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut request = httparse::Request::new(&mut headers);
            match request.parse(&buffer) {
                Ok(httparse::Status::Complete(head)) => {
                    let length = request
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                        .and_then(|h| std::str::from_utf8(h.value).ok()?.parse::<usize>().ok())
                        .unwrap_or(0);
                    break (head, length);
                }
                Ok(httparse::Status::Partial) => {}
                Err(_) => return,
            }
            if stream.read_buf(&mut buffer).await.unwrap_or(0) == 0 {
                return;
            }
        };
        while buffer.len() < head + length {
            if stream.read_buf(&mut buffer).await.unwrap_or(0) == 0 {
                return;
            }
        }
        let body = &buffer[head..head + length];
        if let Some(lag) = order_lag_ms(body) {
            lags_ms.lock().unwrap().push(lag);
        }
        buffer.advance(head + length);
        if stream.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n").await.is_err() {
            return;
        }
    }
}

/// For an `order.placed` event, milliseconds from its order's creation until now. The
/// body is searched rather than parsed, so that the receiver, which shares the cores
/// with the server, costs as little as it can.
fn order_lag_ms(body: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(body).ok()?;
    if !text.contains(r#""type":"order.placed""#) {
        return None;
    }
    let key = r#""occurred_at":""#;
    let start = text.find(key)? + key.len();
    let end = start + text[start..].find('"')?;
    let created = chrono::DateTime::parse_from_rfc3339(&text[start..end]).ok()?;
    let lag = chrono::Utc::now().signed_duration_since(created);
    Some(lag.num_microseconds()? as f64 / 1_000.0)
}

/// A token of the demo's admin (the server runs with `--demo`).
pub async fn admin_token(server: SocketAddr) -> anyhow::Result<String> {
    let form = b"username=admin%40example.com&password=admin-password";
    let headers = [("content-type", "application/x-www-form-urlencoded")];
    let (status, body) = load::once(server, Request::new("POST", "/v1/auth/token", server, &headers, form)).await?;
    if status != 200 {
        bail!("the demo admin cannot log in ({status}): is the server running with --demo?");
    }
    let token: serde_json::Value = serde_json::from_slice(&body)?;
    Ok(token["access_token"].as_str().context("no access_token")?.to_owned())
}

/// Registers an endpoint for `order.placed` at `receiver`: its id.
pub async fn register(server: SocketAddr, token: &str, receiver: SocketAddr) -> anyhow::Result<String> {
    let body = serde_json::json!({"url": format!("http://{receiver}/hooks"), "events": ["order.placed"]}).to_string();
    let bearer = format!("Bearer {token}");
    let headers = [("authorization", bearer.as_str()), ("content-type", "application/json")];
    let request = Request::new("POST", "/v1/webhooks", server, &headers, body.as_bytes());
    let (status, answer) = load::once(server, request).await?;
    if status != 201 {
        bail!("registering the endpoint answered {status}: {}", String::from_utf8_lossy(&answer));
    }
    let created: serde_json::Value = serde_json::from_slice(&answer)?;
    Ok(created["id"].as_str().context("no id")?.to_owned())
}

/// Removes the endpoint `id`: nothing more is delivered to it.
pub async fn remove(server: SocketAddr, token: &str, id: &str) -> anyhow::Result<()> {
    let bearer = format!("Bearer {token}");
    let request = Request::new("DELETE", &format!("/v1/webhooks/{id}"), server, &[("authorization", &bearer)], b"");
    let (status, _) = load::once(server, request).await?;
    if status != 204 {
        bail!("removing the endpoint answered {status}");
    }
    Ok(())
}

/// The `q` quantile of `sorted` values.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

#[cfg(test)]
mod tests {
    use super::order_lag_ms;

    #[test]
    fn the_lag_of_an_order_placed_event_is_read_from_its_body() {
        let at = (chrono::Utc::now() - chrono::TimeDelta::milliseconds(250)).to_rfc3339();
        let body = format!(r#"{{"id":"x","type":"order.placed","occurred_at":"{at}","data":{{}}}}"#);
        let lag = order_lag_ms(body.as_bytes()).expect("a lag");
        assert!((250.0..5_000.0).contains(&lag), "{lag}");
        assert!(order_lag_ms(br#"{"type":"product.created","occurred_at":"2026-01-01T00:00:00Z"}"#).is_none());
    }
}
