//! Sending deliveries with reqwest: `POST` of the event's JSON to the endpoint's URL,
//! signed as Standard Webhooks says, several at once. The client resolves names itself
//! and connects only to addresses [`TargetPolicy`] allows, follows no redirect, uses no
//! proxy, gives up on a delivery after [`REQUEST_TIMEOUT`] and reads at most
//! [`MAX_ANSWER`] of an answer (the status is all it keeps). Deliveries are sent on a
//! thread of lower priority than requests ([`background`]), whatever runtime calls, and
//! counted for `/metrics` ([`measured`]).

use super::signature::sign;
use super::targets::TargetPolicy;
use super::{background, measured};
use async_trait::async_trait;
use orders_core::domain::{AttemptResult, Endpoint, WebhookUrl};
use orders_core::ports::{SendOutcome, TargetRefused, WebhookMessage, WebhookSender};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Longest wait to connect to an endpoint.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest a delivery may take, from connecting to the end of the answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Most bytes of an answer read; past it the connection is dropped.
pub const MAX_ANSWER: usize = 64 * 1024;
/// Deliveries in flight at once per call of [`HttpWebhookSender::send`].
const AT_ONCE: usize = 16;
/// Most characters of an error kept for the admin.
const MAX_ERROR_CHARS: usize = 300;

/// Core's [`WebhookSender`] over HTTP(S). Cheap to clone.
#[derive(Clone)]
pub struct HttpWebhookSender {
    client: reqwest::Client,
    policy: TargetPolicy,
}

impl HttpWebhookSender {
    /// A sender whose targets `policy` judges.
    pub fn new(policy: TargetPolicy) -> Self {
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(CheckedResolver { policy }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .pool_max_idle_per_host(AT_ONCE)
            .user_agent(concat!("orders-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a TLS backend and a resolver are available");
        Self { client, policy }
    }

    async fn deliver(&self, endpoint: &Endpoint, key: &[u8], message: WebhookMessage) -> SendOutcome {
        let started = Instant::now();
        let occurred_at = message.occurred_at;
        let result = match self.policy.check_literal(&endpoint.webhook.url) {
            Ok(()) => self.post(&endpoint.webhook.url, key, message).await,
            Err(refused) => AttemptResult::Failed { error: refused.to_string() },
        };
        measured::attempt(occurred_at, &result);
        SendOutcome { result, latency: started.elapsed() }
    }

    async fn post(&self, url: &WebhookUrl, key: &[u8], message: WebhookMessage) -> AttemptResult {
        let id = message.event_id.to_string();
        let timestamp = message.timestamp.timestamp();
        let signature = sign(key, &id, timestamp, &message.body);
        let sent = self
            .client
            .post(url.url().clone())
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(message.body)
            .send()
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(error) => return AttemptResult::Failed { error: described(&error) },
        };
        let status = response.status().as_u16();
        let mut read = 0;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    read += chunk.len();
                    if read > MAX_ANSWER {
                        break;
                    }
                }
                Ok(None) => break,
                Err(error) => return AttemptResult::Failed { error: described(&error) },
            }
        }
        if response.status().is_success() {
            AttemptResult::Delivered { status }
        } else {
            AttemptResult::Refused { status }
        }
    }
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn check_target(&self, url: &WebhookUrl) -> Result<(), TargetRefused> {
        self.policy.check(url).await
    }

    async fn send(&self, endpoint: &Endpoint, messages: Vec<WebhookMessage>) -> Vec<SendOutcome> {
        let count = messages.len();
        let key = match endpoint.secret.key() {
            Ok(key) => Arc::new(key),
            Err(invalid) => {
                let failed = || SendOutcome {
                    result: AttemptResult::Failed { error: invalid.to_string() },
                    latency: Duration::ZERO,
                };
                return (0..count).map(|_| failed()).collect();
            }
        };
        let endpoint = Arc::new(endpoint.clone());
        let turns = Arc::new(Semaphore::new(AT_ONCE));
        let mut sending = tokio::task::JoinSet::new();
        for (index, message) in messages.into_iter().enumerate() {
            let (sender, endpoint, key, turns) = (self.clone(), endpoint.clone(), key.clone(), turns.clone());
            let delivery = async move {
                let _turn = turns.acquire_owned().await;
                (index, sender.deliver(&endpoint, &key, message).await)
            };
            sending.spawn_on(delivery, background::sending());
        }
        let mut outcomes: Vec<Option<SendOutcome>> = (0..count).map(|_| None).collect();
        while let Some(joined) = sending.join_next().await {
            if let Ok((index, outcome)) = joined {
                outcomes[index] = Some(outcome);
            }
        }
        outcomes
            .into_iter()
            .map(|outcome| {
                outcome.unwrap_or_else(|| SendOutcome {
                    result: AttemptResult::Failed { error: "the delivery's task failed".to_owned() },
                    latency: Duration::ZERO,
                })
            })
            .collect()
    }
}

/// Resolves names for the client, answering only addresses the policy allows.
struct CheckedResolver {
    policy: TargetPolicy,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        Box::pin(async move {
            let addresses = policy.resolve(name.as_str()).await?;
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// What went wrong, with its causes, briefly.
fn described(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() { "timed out".to_owned() } else { String::new() };
    let mut cause: Option<&dyn std::error::Error> = Some(error);
    while let Some(error) = cause {
        let said = error.to_string();
        if !text.contains(&said) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&said);
        }
        cause = error.source();
    }
    text.chars().take(MAX_ERROR_CHARS).collect()
}
