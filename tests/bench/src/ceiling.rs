//! What a ceiling run measured: the same orders as plain SQL, no HTTP, no application.

use crate::load::quantile_ms;
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
    /// How long it ran.
    pub seconds: f64,
    /// Microseconds per order, sorted.
    #[serde(skip)]
    pub latencies_us: Vec<u32>,
}

impl Ceiling {
    /// One ceiling of runs of the same work at the same concurrency; `None` if there
    /// are none.
    pub fn combine(runs: Vec<Ceiling>) -> Option<Ceiling> {
        let mut runs = runs.into_iter();
        let mut all = runs.next()?;
        for run in runs {
            all.orders_per_s =
                (all.orders_per_s * all.seconds + run.orders_per_s * run.seconds) / (all.seconds + run.seconds);
            all.seconds += run.seconds;
            all.orders += run.orders;
            all.failed += run.failed;
            if run.clients < all.clients {
                (all.clients, all.how) = (run.clients, run.how);
            }
            all.latencies_us.extend(run.latencies_us);
        }
        all.latencies_us.sort_unstable();
        all.p50_ms = quantile_ms(&all.latencies_us, 0.50);
        all.p99_ms = quantile_ms(&all.latencies_us, 0.99);
        Some(all)
    }
}
