//! The one failure every port may report: the outside world did not do its part.

/// Any error, kept whole so its cause chain can be logged.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A port could not do its work. Never caused by the request itself.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The backend cannot be reached or is saturated (connection refused, pool
    /// exhausted, timeout); trying again later may work.
    #[error("the backend is unavailable")]
    Unavailable(#[source] BoxError),
    /// The backend answered with a failure that retrying will not fix.
    #[error("the backend failed")]
    Failed(#[source] BoxError),
}

impl BackendError {
    pub fn unavailable(cause: impl Into<BoxError>) -> Self {
        Self::Unavailable(cause.into())
    }

    pub fn failed(cause: impl Into<BoxError>) -> Self {
        Self::Failed(cause.into())
    }
}
