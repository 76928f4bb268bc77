//! What a ceiling run measured: the same orders as plain SQL, no HTTP, no application.

use crate::cpu::Spent;
use crate::load::quantile_ms;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Ceiling {
    /// What ran: `pgbench -M prepared -c N -j J, one-statement script` (or
    /// multi-statement) or `rusqlite, 1 connection`.
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
    /// The database's CPU per order, in µs: on PostgreSQL its processes serving the
    /// run (see pg_processes.rs); on SQLite, a library, the thread that runs the
    /// transactions.
    pub database_cpu_us_per_order: Option<f64>,
    #[serde(skip)]
    pub database_cpu: Option<Spent>,
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
            all.database_cpu = Spent::total([all.database_cpu, run.database_cpu]);
            if run.clients < all.clients {
                (all.clients, all.how) = (run.clients, run.how);
            }
            all.latencies_us.extend(run.latencies_us);
        }
        all.latencies_us.sort_unstable();
        all.p50_ms = quantile_ms(&all.latencies_us, 0.50);
        all.p99_ms = quantile_ms(&all.latencies_us, 0.99);
        all.database_cpu_us_per_order = all.database_cpu.and_then(Spent::us_per_order);
        Some(all)
    }

    /// Counts only the `placed` of its transactions that placed an order (pgbench counts
    /// a statement that refused, and placed nothing, as a transaction like any other);
    /// the others count as failed.
    pub fn placing(mut self, placed: u64) -> Self {
        let transactions = self.orders;
        if placed >= transactions {
            return self;
        }
        let share = placed as f64 / transactions as f64;
        self.orders_per_s *= share;
        self.failed += transactions - placed;
        self.orders = placed;
        if let Some(cpu) = &mut self.database_cpu {
            cpu.orders = (cpu.orders as f64 * share).round() as u64;
        }
        self.database_cpu_us_per_order = self.database_cpu.and_then(Spent::us_per_order);
        self
    }
}
