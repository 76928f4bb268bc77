//! Where failed logins are counted, so that password guessing can be throttled across
//! every process that shares the store.

use super::BackendError;
use crate::domain::{Email, Timestamp};
use async_trait::async_trait;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LoginAttempts: Send + Sync {
    /// When logins for `email` failed at or after `since`, newest first, at most
    /// `limit` of them. `Backend` on failure.
    async fn failures_since(&self, email: &Email, since: Timestamp, limit: u32)
    -> Result<Vec<Timestamp>, BackendError>;

    /// Counts a failed login for `email` at `at`. `Backend` on failure.
    async fn record_failure(&self, email: &Email, at: Timestamp) -> Result<(), BackendError>;

    /// Forgets every failed login for `email`. `Backend` on failure.
    async fn clear(&self, email: &Email) -> Result<(), BackendError>;
}
