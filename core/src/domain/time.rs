//! Points in time. Always UTC; produced by the [`Clock`](crate::ports::Clock) port.

/// An instant in UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
