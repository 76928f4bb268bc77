//! Where idempotency keys and the outcome of their first request are remembered.

use super::BackendError;
use crate::domain::{IdempotencyKey, IdempotencyRecord, OrderId, Refusal, RequestFingerprint, Timestamp, UserId};
use async_trait::async_trait;

/// A key to remember for a user, for the order its request is about to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyClaim {
    pub user: UserId,
    pub key: IdempotencyKey,
    pub fingerprint: RequestFingerprint,
    pub order_id: OrderId,
    pub at: Timestamp,
}

/// The answer to a claim on a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is now this request's.
    Claimed,
    /// The key was used before; this is what its first request did.
    Existing(IdempotencyRecord),
    /// Another request holding the key has not finished.
    InUse,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Remembers that the request under `claim.key` was refused for `refusal` (its
    /// `order_id` is not used): `Claimed`. If the key is taken, nothing changes: then
    /// `Existing` with what was recorded, or `InUse` while another request holding it
    /// has not finished within the store's wait limit. `Backend` on failure.
    async fn record_refusal(&self, claim: &KeyClaim, refusal: Refusal) -> Result<Claim, BackendError>;

    /// Forgets keys recorded before `cutoff`; returns how many. `Backend` on failure.
    async fn purge_before(&self, cutoff: Timestamp) -> Result<u64, BackendError>;
}
