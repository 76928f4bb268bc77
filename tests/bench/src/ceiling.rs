//! What a ceiling run measured: the same orders as plain SQL, no HTTP, no application.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Ceiling {
    /// What ran: `pgbench -c N -j J -M prepared` or `rusqlite, 1 connection`.
    pub how: String,
    /// pgbench: its clients (fewer than the service's connections when PostgreSQL
    /// accepts no more).
    pub clients: Option<usize>,
    pub orders_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub orders: u64,
    pub failed: u64,
}
