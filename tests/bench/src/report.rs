//! The results: one JSON document and the same as markdown tables.

use crate::ceiling::Ceiling;
use crate::cpu::{Spent, Used};
use crate::load::Outcome;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub settings: serde_json::Value,
    pub generator_check: Option<GeneratorCheck>,
    pub databases: Vec<DatabaseReport>,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_gib: f64,
    pub kernel: String,
    pub load_average_before: String,
    pub load_average_after: String,
    pub commit: Option<String>,
    pub started_at: String,
    pub seconds: f64,
}

impl Machine {
    pub fn probe() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find(|line| line.starts_with("model name"))
            .and_then(|line| line.split_once(':'))
            .map_or_else(|| "unknown".to_owned(), |(_, model)| model.trim().to_owned());
        let memory_gib = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<f64>().ok())
            })
            .map_or(0.0, |kb| (kb / 1024.0 / 1024.0 * 10.0).round() / 10.0);
        let commit = std::process::Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
        Self {
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu_model,
            memory_gib,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned(),
            load_average_before: load_average(),
            load_average_after: String::new(),
            commit,
            started_at: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            seconds: 0.0,
        }
    }
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The same load on `GET /health` from this generator and from wrk.
#[derive(Debug, Serialize)]
pub struct GeneratorCheck {
    pub connections: usize,
    pub ours_per_s: f64,
    pub wrk_per_s: Option<f64>,
    pub note: String,
}

/// One load run against the server.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    pub per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub answers: u64,
    /// Answers with another status than expected, and requests with no answer.
    pub unexpected: u64,
    pub statuses: BTreeMap<String, u64>,
    pub samples: Vec<String>,
}

impl Measured {
    /// `outcome`, counting only answers with status `expected` as done.
    pub fn of(outcome: &Outcome, expected: u16) -> Self {
        let ok = outcome.statuses.get(&expected).copied().unwrap_or(0);
        Self {
            per_s: ok as f64 / outcome.window.as_secs_f64(),
            p50_ms: outcome.quantile_ms(0.50),
            p99_ms: outcome.quantile_ms(0.99),
            answers: outcome.completed(),
            unexpected: outcome.unexpected(expected),
            statuses: outcome.statuses.iter().map(|(s, n)| (s.to_string(), *n)).collect(),
            samples: outcome.samples.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct OrderRun {
    pub connections: usize,
    pub service: Measured,
    pub peak_rss_mib: Option<f64>,
    /// The server process's CPU (utime + stime) per order placed in the measured
    /// windows, in µs.
    pub server_cpu_us_per_order: Option<f64>,
    /// The same of PostgreSQL's processes serving the run (see pg_processes.rs); none on
    /// SQLite, whose work is the server's own.
    pub database_cpu_us_per_order: Option<f64>,
    pub ceiling: Option<Ceiling>,
    /// Service orders/s ÷ ceiling orders/s.
    pub ratio: Option<f64>,
    /// PostgreSQL: the service's own statement in autocommit, through pgbench.
    pub one_statement_ceiling: Option<Ceiling>,
    /// Service orders/s ÷ one-statement ceiling orders/s.
    pub one_statement_ratio: Option<f64>,
}

impl OrderRun {
    pub fn new(
        connections: usize,
        service: Measured,
        peak_rss_mib: Option<f64>,
        used: Used,
        ceiling: Option<Ceiling>,
        one_statement_ceiling: Option<Ceiling>,
    ) -> Self {
        let ratio_to = |ceiling: &Option<Ceiling>| ceiling.as_ref().map(|c| service.per_s / c.orders_per_s);
        Self {
            connections,
            peak_rss_mib,
            server_cpu_us_per_order: used.server.and_then(Spent::us_per_order),
            database_cpu_us_per_order: used.database.and_then(Spent::us_per_order),
            ratio: ratio_to(&ceiling),
            ceiling,
            one_statement_ratio: ratio_to(&one_statement_ceiling),
            one_statement_ceiling,
            service,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct LinesRun {
    pub lines: u64,
    pub connections: usize,
    pub service: Measured,
    pub p50_ms_per_line: f64,
}

#[derive(Debug, Serialize)]
pub struct ReadRun {
    pub what: String,
    pub rows: u64,
    pub connections: usize,
    pub service: Measured,
}

/// One variant of the service in a [`Comparison`].
#[derive(Debug, Serialize)]
pub struct Variant {
    pub label: String,
    pub service: Measured,
    pub server_cpu_us_per_order: Option<f64>,
    pub database_cpu_us_per_order: Option<f64>,
}

impl Variant {
    pub fn new(label: &str, service: Measured, used: Used) -> Self {
        Self {
            label: label.to_owned(),
            service,
            server_cpu_us_per_order: used.server.and_then(Spent::us_per_order),
            database_cpu_us_per_order: used.database.and_then(Spent::us_per_order),
        }
    }
}

/// The same orders through variants of the service (a feature on and off), in
/// alternating slices; the first variant is the one the others are compared with.
#[derive(Debug, Serialize)]
pub struct Comparison {
    pub what: String,
    pub connections: usize,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Serialize)]
pub struct DatabaseReport {
    pub database: String,
    pub orders: Vec<OrderRun>,
    pub contention: Option<OrderRun>,
    /// What features cost (metrics on and off, ...).
    pub comparisons: Vec<Comparison>,
    pub lines: Vec<LinesRun>,
    pub reads: Vec<ReadRun>,
    pub rss_after_mib: Option<f64>,
    /// With `--webhooks`: orders/s with one webhook endpoint against none, and the lag.
    pub webhooks: Option<crate::webhooks::WebhookRun>,
}

fn f(value: f64, digits: usize) -> String {
    if value.is_finite() { format!("{value:.digits$}") } else { "–".to_owned() }
}

fn opt(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "–".to_owned(), |v| f(v, digits))
}

/// A ceiling's cells of the orders table: orders/s (with its clients when fewer than
/// the service's connections), p50, p99, the database's CPU per order, the service's ratio to it.
fn ceiling_cells(connections: usize, ceiling: Option<&Ceiling>, ratio: Option<f64>) -> [String; 5] {
    let per_s = ceiling.map_or_else(
        || "–".to_owned(),
        |c| match c.clients {
            Some(clients) if clients != connections => format!("{} ({clients} clients)", f(c.orders_per_s, 0)),
            _ => f(c.orders_per_s, 0),
        },
    );
    [
        per_s,
        opt(ceiling.map(|c| c.p50_ms), 2),
        opt(ceiling.map(|c| c.p99_ms), 2),
        opt(ceiling.and_then(|c| c.database_cpu_us_per_order), 0),
        ratio.map_or_else(|| "–".to_owned(), |r| format!("**{r:.2}x**")),
    ]
}

impl Report {
    pub fn markdown(&self) -> String {
        let m = &self.machine;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Machine: {} CPUs ({}), {} GiB, Linux {}; load average before {} / after {}; commit {}; {}; {:.0} s.\n",
            m.cpus,
            m.cpu_model,
            m.memory_gib,
            m.kernel,
            m.load_average_before,
            m.load_average_after,
            m.commit.as_deref().unwrap_or("?"),
            m.started_at,
            m.seconds
        );
        let lines = self.settings["lines_per_order"].as_str().unwrap_or("1-3");
        let _ = writeln!(
            s,
            "**Placing orders** ({lines} distinct random products per order; ceiling = the same transactions as plain SQL: pgbench on PostgreSQL, one rusqlite connection on SQLite; one-statement ceiling = the service's own statement in autocommit through pgbench; CPU per order = utime + stime over the measured windows ÷ orders placed in them: the server process, the database's processes serving the run, SQLite's ceiling thread)\n"
        );
        s.push_str("| database | connections | orders/s | p50 ms | p99 ms | p99/p50 | non-201 | peak RSS MiB | server CPU µs/order | database CPU µs/order | ceiling orders/s | ceiling p50 ms | ceiling p99 ms | ceiling database CPU µs/order | service ÷ ceiling | one-statement ceiling orders/s | one-statement ceiling p50 ms | one-statement ceiling p99 ms | one-statement ceiling database CPU µs/order | service ÷ one-statement ceiling |\n");
        s.push_str(
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for db in &self.databases {
            for run in db.orders.iter().chain(db.contention.iter()) {
                let hot = if db.contention.as_ref().is_some_and(|c| std::ptr::eq(c, run)) {
                    " (one hot product)"
                } else {
                    ""
                };
                let svc = &run.service;
                let mut cells = vec![
                    format!("{}{hot}", db.database),
                    run.connections.to_string(),
                    f(svc.per_s, 0),
                    f(svc.p50_ms, 2),
                    f(svc.p99_ms, 2),
                    f(svc.p99_ms / svc.p50_ms, 1),
                    svc.unexpected.to_string(),
                    opt(run.peak_rss_mib, 1),
                    opt(run.server_cpu_us_per_order, 0),
                    opt(run.database_cpu_us_per_order, 0),
                ];
                cells.extend(ceiling_cells(run.connections, run.ceiling.as_ref(), run.ratio));
                cells.extend(ceiling_cells(
                    run.connections,
                    run.one_statement_ceiling.as_ref(),
                    run.one_statement_ratio,
                ));
                let _ = writeln!(s, "| {} |", cells.join(" | "));
            }
        }
        if self.databases.iter().any(|db| !db.comparisons.is_empty()) {
            s.push_str("\n**What features cost** (the same orders through each variant of the server, on the same database, in alternating slices, A B then B A, each slice on a new server; ÷ first = orders/s against the first variant's)\n\n");
            s.push_str("| database | feature | connections | variant | orders/s | p50 ms | p99 ms | non-201 | server CPU µs/order | database CPU µs/order | ÷ first |\n");
            s.push_str("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
            for db in &self.databases {
                for comparison in &db.comparisons {
                    let first = comparison.variants.first().map(|v| v.service.per_s);
                    for variant in &comparison.variants {
                        let svc = &variant.service;
                        let _ = writeln!(
                            s,
                            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                            db.database,
                            comparison.what,
                            comparison.connections,
                            variant.label,
                            f(svc.per_s, 0),
                            f(svc.p50_ms, 2),
                            f(svc.p99_ms, 2),
                            svc.unexpected,
                            opt(variant.server_cpu_us_per_order, 0),
                            opt(variant.database_cpu_us_per_order, 0),
                            opt(first.map(|first| svc.per_s / first), 3)
                        );
                    }
                }
            }
        }
        if self.databases.iter().any(|db| db.webhooks.is_some()) {
            s.push_str("\n**Webhooks** (`--webhooks`: alternating slices, A B then B A, with one endpoint registered for `order.placed` and none; lag = from the order's `created_at` to the delivery's arrival at a receiver on this machine, on a thread ten nice steps below the rest, standing in for an endpoint elsewhere)\n\n");
            s.push_str("| database | connections | orders/s, no endpoint | orders/s, one endpoint | ratio | orders placed with it | delivered | lag p50 ms | lag p99 ms | lag max ms |\n");
            s.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for db in &self.databases {
                if let Some(w) = &db.webhooks {
                    let _ = writeln!(
                        s,
                        "| {} | {} | {} | {} | **{:.2}x** | {} | {} | {} | {} | {} |",
                        db.database,
                        w.connections,
                        f(w.without_per_s, 0),
                        f(w.with_per_s, 0),
                        w.ratio,
                        w.placed,
                        w.delivered,
                        f(w.lag_p50_ms, 0),
                        f(w.lag_p99_ms, 0),
                        f(w.lag_max_ms, 0)
                    );
                }
            }
        }
        // --quick measures no growth.
        if self.databases.iter().any(|db| !db.lines.is_empty() || !db.reads.is_empty()) {
            s.push_str("\n**Growth: lines per order** (time per line should stay flat)\n\n");
            s.push_str(
                "| database | lines | connections | orders/s | lines/s | p50 ms | p99 ms | p50 ms per line | non-201 |\n",
            );
            s.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for db in &self.databases {
                for run in &db.lines {
                    let _ = writeln!(
                        s,
                        "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                        db.database,
                        run.lines,
                        run.connections,
                        f(run.service.per_s, 0),
                        f(run.service.per_s * run.lines as f64, 0),
                        f(run.service.p50_ms, 2),
                        f(run.service.p99_ms, 2),
                        f(run.p50_ms_per_line, 3),
                        run.service.unexpected
                    );
                }
            }
            s.push_str(
                "\n**Growth: reads against table size** (keyset pagination and primary-key lookups should stay flat)\n\n",
            );
            s.push_str(
                "| database | request | rows in table | connections | requests/s | p50 ms | p99 ms | non-200 |\n",
            );
            s.push_str("|---|---|---:|---:|---:|---:|---:|---:|\n");
            for db in &self.databases {
                for run in &db.reads {
                    let _ = writeln!(
                        s,
                        "| {} | {} | {} | {} | {} | {} | {} | {} |",
                        db.database,
                        run.what,
                        run.rows,
                        run.connections,
                        f(run.service.per_s, 0),
                        f(run.service.p50_ms, 2),
                        f(run.service.p99_ms, 2),
                        run.service.unexpected
                    );
                }
            }
        }
        if let Some(check) = &self.generator_check {
            let _ = writeln!(
                s,
                "\n**Load generator check** (`GET /health`, {} connections, one thread each): this generator {} requests/s, wrk {} requests/s. {}",
                check.connections,
                f(check.ours_per_s, 0),
                opt(check.wrk_per_s, 0),
                check.note
            );
        }
        let samples: Vec<String> = self
            .databases
            .iter()
            .flat_map(|db| {
                db.orders
                    .iter()
                    .chain(db.contention.iter())
                    .flat_map(|run| {
                        run.service.samples.iter().map(|x| format!("{} @{}: {x}", db.database, run.connections))
                    })
                    .chain(db.reads.iter().flat_map(|run| {
                        run.service.samples.iter().map(|x| format!("{} {}: {x}", db.database, run.what))
                    }))
            })
            .take(10)
            .collect();
        if !samples.is_empty() {
            s.push_str("\nUnexpected answers (first few):\n\n");
            for sample in samples {
                let _ = writeln!(s, "- `{}`", sample.replace('`', "'"));
            }
        }
        s
    }
}
