//! Webhooks: endpoints that are sent the events they subscribe to, each delivery
//! signed with the endpoint's secret (Standard Webhooks), tried again with exponential
//! backoff and jitter for up to a day, then the endpoint is marked failing.

use super::events::{EventType, FeedPosition};
use super::ids::{DeliveryId, EventId, WebhookId};
use super::time::Timestamp;
use super::user::wire_names;
use super::validation::{Invalid, Violations};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::TimeDelta;
use rand::RngCore;
use std::fmt;
use std::time::Duration;

/// Where an endpoint is reached: an absolute `http` or `https` URL with a host, at most
/// 2,000 characters, without credentials or a fragment. Whether its scheme and the
/// addresses its host resolves to are allowed is the sender's to say
/// ([`WebhookSender::check_target`](crate::ports::WebhookSender::check_target)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(url::Url);

impl WebhookUrl {
    pub const MAX_CHARS: usize = 2_000;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(Invalid::new(format!("url must have at most {} characters", Self::MAX_CHARS)));
        }
        let url = url::Url::parse(raw).map_err(|e| Invalid::new(format!("url is not an absolute URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Invalid::new("url must be an https URL"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Invalid::new("url must name a host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Invalid::new("url must not carry credentials"));
        }
        if url.fragment().is_some() {
            return Err(Invalid::new("url must not have a fragment"));
        }
        Ok(Self(url))
    }

    /// A URL as stored, checked when it was added.
    pub fn stored(raw: &str) -> Result<Self, Invalid> {
        url::Url::parse(raw).map(Self).map_err(|e| Invalid::new(format!("a stored webhook url does not parse: {e}")))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn url(&self) -> &url::Url {
        &self.0
    }
}

/// The event types an endpoint subscribes to: 1 to 6 of them, each at most once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTypes(Vec<EventType>);

impl EventTypes {
    /// Validates raw type names, naming each refused one (`events[1]`).
    pub fn parse(raw: &[String]) -> Result<Self, Violations> {
        let mut violations = Violations::default();
        if raw.is_empty() {
            violations.push("events", Invalid::new("subscribe to at least one event type"));
        }
        let mut kinds = Vec::with_capacity(raw.len());
        for (index, name) in raw.iter().enumerate() {
            if let Some(kind) = violations.check(format!("events[{index}]"), EventType::parse(name)) {
                if kinds.contains(&kind) {
                    violations.push(format!("events[{index}]"), Invalid::new(format!("{kind} is listed twice")));
                }
                kinds.push(kind);
            }
        }
        kinds.sort();
        violations.into_result(|| Self(kinds))
    }

    /// Types as stored: known names joined by commas.
    pub fn stored(raw: &str) -> Result<Self, Invalid> {
        let mut kinds = raw.split(',').map(EventType::parse).collect::<Result<Vec<_>, _>>()?;
        kinds.sort();
        kinds.dedup();
        Ok(Self(kinds))
    }

    /// The stored form: the names joined by commas.
    pub fn to_stored(&self) -> String {
        self.0.iter().map(|kind| kind.as_str()).collect::<Vec<_>>().join(",")
    }

    pub fn contains(&self, kind: EventType) -> bool {
        self.0.contains(&kind)
    }

    pub fn kinds(&self) -> &[EventType] {
        &self.0
    }
}

/// The key an endpoint's deliveries are signed with, as Standard Webhooks writes it:
/// `whsec_` and the base64 of 24 random bytes. Shown to the admin once, when the
/// endpoint is added.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    const PREFIX: &'static str = "whsec_";

    /// A new secret from the operating system's random source.
    pub fn generate() -> Self {
        let mut key = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self(format!("{}{}", Self::PREFIX, STANDARD.encode(key)))
    }

    /// A secret as stored.
    pub fn stored(raw: &str) -> Result<Self, Invalid> {
        let secret = Self(raw.to_owned());
        secret.key().map(|_| secret)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The HMAC key: the bytes the base64 after `whsec_` stands for.
    pub fn key(&self) -> Result<Vec<u8>, Invalid> {
        let encoded = self.0.strip_prefix(Self::PREFIX).ok_or_else(|| Invalid::new("a secret starts with whsec_"))?;
        STANDARD.decode(encoded).map_err(|_| Invalid::new("a secret is whsec_ and base64"))
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

/// Whether an endpoint is being delivered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookStatus {
    /// Events are delivered as they come.
    Active,
    /// A delivery kept failing for [`RetrySchedule::window`]: nothing is sent until a
    /// retry asked for by an admin succeeds; events wait in the feed meanwhile.
    Failing,
}

wire_names!(WebhookStatus { Active => "active", Failing => "failing" });

/// An endpoint, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: WebhookId,
    pub url: WebhookUrl,
    pub events: EventTypes,
    pub status: WebhookStatus,
    pub created_at: Timestamp,
}

/// An endpoint and the secret its deliveries are signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub webhook: Webhook,
    pub secret: WebhookSecret,
}

/// How one attempt to deliver an event ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    /// The endpoint answered with a 2xx status.
    Delivered { status: u16 },
    /// The endpoint answered with another status.
    Refused { status: u16 },
    /// No answer: the target was refused, or connecting, sending or reading failed or
    /// took too long. Says what, for the admin.
    Failed { error: String },
}

impl AttemptResult {
    pub fn delivered(&self) -> bool {
        matches!(self, AttemptResult::Delivered { .. })
    }

    /// The HTTP status the endpoint answered, if it did.
    pub fn status(&self) -> Option<u16> {
        match self {
            AttemptResult::Delivered { status } | AttemptResult::Refused { status } => Some(*status),
            AttemptResult::Failed { .. } => None,
        }
    }
}

/// One attempt to deliver an event to a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub id: DeliveryId,
    pub webhook: WebhookId,
    pub event_id: EventId,
    pub event_type: EventType,
    /// The event's place in the feed.
    pub position: FeedPosition,
    pub attempted_at: Timestamp,
    pub result: AttemptResult,
    /// From sending the request to the end of the answer (or the failure).
    pub latency: Duration,
    /// When the event will be tried again, if it will.
    pub next_retry_at: Option<Timestamp>,
}

/// When a delivery that failed is tried again: after `first`, then twice as long after
/// each failure, up to `cap`, each wait shortened at random by up to half (jitter, so
/// that endpoints coming back are not hit by every retry at once), for as long as the
/// next try falls within `window` of the first attempt; then the delivery is given up
/// and its endpoint marked failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySchedule {
    pub first: TimeDelta,
    pub cap: TimeDelta,
    pub window: TimeDelta,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        Self { first: TimeDelta::seconds(5), cap: TimeDelta::hours(1), window: TimeDelta::hours(24) }
    }
}

impl RetrySchedule {
    /// When to try again after the `failures`-th failed attempt (1 for the first) made
    /// at `now`, the first attempt having been made at `first_attempt_at`; `jitter` is
    /// a random number in `0.0..1.0`. `None`: give up.
    pub fn next_attempt(
        &self,
        failures: u32,
        first_attempt_at: Timestamp,
        now: Timestamp,
        jitter: f64,
    ) -> Option<Timestamp> {
        let doublings = failures.saturating_sub(1).min(30);
        let full = self.first.checked_mul(1 << doublings).unwrap_or(self.cap).min(self.cap);
        let shortened = full.num_milliseconds() as f64 * jitter.clamp(0.0, 1.0) / 2.0;
        let wait = full - TimeDelta::milliseconds(shortened as i64);
        let next = now + wait;
        (next <= first_attempt_at + self.window).then_some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn urls_are_absolute_http_or_https_with_a_host_and_no_credentials() {
        for good in ["https://hooks.example.com/orders", "http://127.0.0.1:9000/in?x=1"] {
            assert!(WebhookUrl::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "/relative",
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "https://example.com/#frag",
            "file:///etc/passwd",
            &format!("https://example.com/{}", "a".repeat(2_000)),
        ] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn event_types_name_each_refused_entry_and_refuse_repeats() {
        let raw = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let types = EventTypes::parse(&raw(&["product.created", "order.placed"])).unwrap();
        assert_eq!(types.kinds(), [EventType::OrderPlaced, EventType::ProductCreated]);
        assert_eq!(EventTypes::stored(&types.to_stored()).unwrap(), types);
        let refused = EventTypes::parse(&raw(&["order.placed", "nope", "order.placed"])).unwrap_err();
        let fields: Vec<_> = refused.fields().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["events[1]", "events[2]"]);
        assert_eq!(EventTypes::parse(&[]).unwrap_err().fields()[0].field, "events");
    }

    #[test]
    fn secrets_are_whsec_and_24_random_bytes_in_base64() {
        let (one, two) = (WebhookSecret::generate(), WebhookSecret::generate());
        assert!(one.as_str().starts_with("whsec_"));
        assert_eq!(one.key().unwrap().len(), 24);
        assert_ne!(one, two);
        assert_eq!(WebhookSecret::stored(one.as_str()).unwrap(), one);
        assert!(WebhookSecret::stored("nope").is_err());
        assert!(!format!("{one:?}").contains(&one.as_str()[6..]), "Debug never shows the secret");
    }

    #[test]
    fn retries_back_off_exponentially_with_jitter_for_a_day_then_give_up() {
        let schedule = RetrySchedule::default();
        let first = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        assert_eq!(schedule.next_attempt(1, first, first, 0.0), Some(first + TimeDelta::seconds(5)));
        assert_eq!(schedule.next_attempt(1, first, first, 1.0), Some(first + TimeDelta::milliseconds(2_500)));
        assert_eq!(schedule.next_attempt(3, first, first, 0.0), Some(first + TimeDelta::seconds(20)));
        assert_eq!(schedule.next_attempt(40, first, first, 0.0), Some(first + TimeDelta::hours(1)), "capped");
        let late = first + TimeDelta::hours(23) + TimeDelta::minutes(30);
        assert_eq!(schedule.next_attempt(20, first, late, 0.0), None, "past the day: give up");
        let mut at = first;
        let mut failures = 0;
        while let Some(next) = schedule.next_attempt(failures + 1, first, at, 0.5) {
            assert!(next > at);
            (at, failures) = (next, failures + 1);
        }
        assert!(at <= first + TimeDelta::hours(24) && at > first + TimeDelta::hours(22), "tried for a day: {at}");
    }
}
