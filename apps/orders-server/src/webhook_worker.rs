//! The background task that delivers webhooks: round after round of core's
//! [`Service::deliver_webhooks`], at once while there is work, every [`IDLE_POLL`]
//! while there is none. Its state is in the database, so every server of a deployment
//! runs one and they share the work (each delivery is leased to one of them), and a
//! restart goes on where the last run stopped. On shutdown it finishes its round, so
//! that it leaves no lease for others to wait out.

use crate::api::dto::events::EventResponse;
use orders_core::domain::WorkerId;
use orders_core::usecases::Service;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long the worker waits before looking again when it found nothing to do.
const IDLE_POLL: Duration = Duration::from_millis(100);
/// How long it waits after the store failed.
const AFTER_FAILURE: Duration = Duration::from_secs(1);

/// Delivers webhooks until `stop` is cancelled (then finishes its round and returns).
pub async fn run(service: Service, stop: CancellationToken) {
    let worker = WorkerId::generate();
    tracing::info!(%worker, "delivering webhooks");
    while !stop.is_cancelled() {
        let pause = match service.deliver_webhooks(worker, &EventResponse::render).await {
            Ok(0) => IDLE_POLL,
            Ok(_) => Duration::ZERO,
            Err(error) => {
                let cause = crate::api::errors::cause_chain(&error);
                tracing::warn!(%cause, "webhook deliveries failed; trying again shortly");
                AFTER_FAILURE
            }
        };
        if !pause.is_zero() {
            tokio::select! {
                () = stop.cancelled() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}
