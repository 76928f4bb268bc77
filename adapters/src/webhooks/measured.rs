//! What deliveries did, for the server's `/metrics` (through the `metrics` facade: with no
//! recorder installed, nothing is kept): how each attempt ended, and how far behind its
//! event a delivery arrived.

use orders_core::domain::{AttemptResult, Timestamp};

/// Delivery attempts, by `result`: `delivered` (a 2xx), `refused` (another status),
/// `failed` (no answer: refused target, connection, timeout).
pub const WEBHOOK_DELIVERIES: &str = "orders_webhook_deliveries_total";
/// Seconds from an event's occurrence to its delivery's 2xx answer, retries included.
pub const WEBHOOK_DELIVERY_LAG: &str = "orders_webhook_delivery_lag_seconds";

/// Records how an attempt to deliver an event that occurred at `occurred_at` ended.
pub(super) fn attempt(occurred_at: Timestamp, result: &AttemptResult) {
    let label = match result {
        AttemptResult::Delivered { .. } => "delivered",
        AttemptResult::Refused { .. } => "refused",
        AttemptResult::Failed { .. } => "failed",
    };
    metrics::counter!(WEBHOOK_DELIVERIES, "result" => label).increment(1);
    if result.delivered() {
        let lag = chrono::Utc::now().signed_duration_since(occurred_at);
        metrics::histogram!(WEBHOOK_DELIVERY_LAG).record(lag.as_seconds_f64().max(0.0));
    }
}
