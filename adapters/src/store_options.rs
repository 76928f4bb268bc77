//! How to connect to a SQL store: pool size and the waits that keep a request from
//! hanging on a saturated or stuck database.

use std::time::Duration;

/// How to connect to a SQL store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Most connections held at once; `None` picks a default for the database.
    pub max_connections: Option<u32>,
    /// Longest wait for a free connection, or for a new one to be made, before a request
    /// fails as unavailable.
    pub acquire_timeout: Duration,
    /// PostgreSQL: longest a statement may run (or wait for a lock) before it is
    /// cancelled and the request fails as unavailable, so nothing hangs on a stuck database.
    /// Behind PgBouncer (`pgbouncer=true`) it is the default, 5 s, set in every
    /// transaction, whatever this says.
    pub statement_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: None,
            acquire_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(5),
        }
    }
}
