//! Password hashing. Slow on purpose: adapters run it off the async threads.

use super::BackendError;
use crate::domain::{Password, PasswordHash};
use async_trait::async_trait;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// A salted hash of `password`. `Backend` if hashing could not run.
    async fn hash(&self, password: &Password) -> Result<PasswordHash, BackendError>;

    /// Whether `password` matches `hash`: `false` for a mismatch or a hash it cannot
    /// read. `Backend` if hashing could not run.
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, BackendError>;
}
