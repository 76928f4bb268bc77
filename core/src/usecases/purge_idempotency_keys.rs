//! Forgetting idempotency keys once they are old enough that no client retries them.

use super::Service;
use crate::ports::BackendError;
use chrono::TimeDelta;

/// How long a key is remembered at least.
pub const IDEMPOTENCY_KEY_LIFETIME: TimeDelta = TimeDelta::hours(24);

impl Service {
    /// Forgets keys older than [`IDEMPOTENCY_KEY_LIFETIME`]; returns how many.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn purge_idempotency_keys(&self) -> Result<u64, BackendError> {
        let cutoff = self.ports.clock.now() - IDEMPOTENCY_KEY_LIFETIME;
        self.ports.idempotency.purge_before(cutoff).await
    }
}
