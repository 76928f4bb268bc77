//! What happened to orders and logins, counted: the numbers a shop's operators watch.

use crate::api::errors::ApiError;
use metrics::{counter, describe_counter};
use orders_core::usecases::Placed;

pub const ORDERS_PLACED: &str = "orders_placed_total";
pub const ORDERS_REFUSED: &str = "orders_refused_total";
pub const ORDERS_CANCELLED: &str = "orders_cancelled_total";
pub const IDEMPOTENT_REPLAYS: &str = "idempotent_replays_total";
pub const LOGIN_FAILURES: &str = "login_failures_total";
pub const LOGIN_THROTTLED: &str = "login_throttled_total";

/// The counters without labels, so that they show from the first scrape.
const UNLABELLED: [&str; 5] = [ORDERS_PLACED, ORDERS_CANCELLED, IDEMPOTENT_REPLAYS, LOGIN_FAILURES, LOGIN_THROTTLED];

pub(super) fn describe() {
    describe_counter!(ORDERS_PLACED, "Orders placed (a replay of one is not counted again).");
    describe_counter!(ORDERS_REFUSED, "Orders refused, by the problem code they were answered with (`reason`).");
    describe_counter!(ORDERS_CANCELLED, "Orders cancelled.");
    describe_counter!(IDEMPOTENT_REPLAYS, "Order requests answered again for a retried Idempotency-Key.");
    describe_counter!(LOGIN_FAILURES, "Logins refused for a wrong e-mail or password.");
    describe_counter!(LOGIN_THROTTLED, "Logins refused by the limits on guessing (per e-mail or per address).");
}

pub(super) fn start_at_zero() {
    for name in UNLABELLED {
        counter!(name).absolute(0);
    }
}

/// Counts how placing an order ended: placed, replayed, or refused (a 4xx) with its
/// problem's code; the service failing (5xx) is no refusal.
pub fn order_placement<O>(outcome: &Result<Placed, ApiError<O>>) {
    match outcome {
        Ok(Placed { replayed: true, .. }) => counter!(IDEMPOTENT_REPLAYS).increment(1),
        Ok(Placed { replayed: false, .. }) => counter!(ORDERS_PLACED).increment(1),
        Err(error) if error.problem().is_replayed() => counter!(IDEMPOTENT_REPLAYS).increment(1),
        Err(error) if error.problem().status().is_client_error() => {
            counter!(ORDERS_REFUSED, "reason" => error.problem().details().code.clone()).increment(1)
        }
        Err(_) => {}
    }
}

pub fn order_cancelled() {
    counter!(ORDERS_CANCELLED).increment(1);
}

pub fn login_failed() {
    counter!(LOGIN_FAILURES).increment(1);
}

pub fn login_throttled() {
    counter!(LOGIN_THROTTLED).increment(1);
}
