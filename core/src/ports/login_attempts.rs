//! Where login attempts are counted, so that password guessing is throttled across
//! every process that shares the store. Counting and checking the limit are one atomic
//! step: of any number of concurrent guesses, at most the limit get to check a password.

use super::BackendError;
use crate::domain::{Email, Timestamp};
use async_trait::async_trait;

/// What counting an attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptCount {
    /// Counted: the caller may check the password.
    Counted,
    /// Not counted: `limit` attempts were counted in the window that started then.
    Throttled { window_started_at: Timestamp },
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LoginAttempts: Send + Sync {
    /// Counts an attempt to log in as `email` at `at`, unless `limit` attempts were
    /// already counted in its window. A window starts at the first attempt counted
    /// after the last one ended; one that started before `window_ended_before` is over,
    /// and `at` starts a new one. `Backend` on failure.
    async fn count_attempt(
        &self,
        email: &Email,
        at: Timestamp,
        window_ended_before: Timestamp,
        limit: u32,
    ) -> Result<AttemptCount, BackendError>;

    /// Forgets every attempt counted for `email`. `Backend` on failure.
    async fn clear(&self, email: &Email) -> Result<(), BackendError>;
}
