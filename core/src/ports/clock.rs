//! The current time, as a port so that tests can fix it.

use crate::domain::Timestamp;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, in UTC. Cannot fail.
    fn now(&self) -> Timestamp;
}
