//! pgbench as a ceiling: a script run by `clients` clients for whole seconds, each
//! transaction's latency read from pgbench's log, and PostgreSQL's CPU measured in a
//! window while every client is connected and running, divided by the transactions the
//! log says completed in it. Connecting, preparing and the first executions, which the
//! service's warm pool does not pay in its measured windows, fall outside it.

use crate::ceiling::Ceiling;
use crate::cpu::Spent;
use crate::load::quantile_ms;
use crate::pg_processes::PgProcesses;
use crate::pgbench_script::Script;
use crate::workload::Mix;
use anyhow::{Context, bail};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// What to run: `script` of `mix` by `clients` clients for `duration` (whole seconds, at
/// least 1).
#[derive(Debug, Clone, Copy)]
pub struct Job {
    pub script: Script,
    pub mix: Mix,
    pub clients: usize,
    pub duration: Duration,
}

/// When PostgreSQL's CPU was measured (µs since the epoch, as pgbench logs) and how much
/// it used meanwhile.
struct Window {
    from_us: u64,
    to_us: u64,
    ticks: u64,
}

/// Runs `job` with `program` on the database at `url`, its files in `work`; PostgreSQL's
/// CPU is measured if `processes` watches it.
pub async fn run(
    program: &Path,
    url: &str,
    work: &Path,
    job: Job,
    processes: Option<&mut PgProcesses>,
) -> anyhow::Result<Ceiling> {
    let script = work.join(format!("order-{}.pgbench", std::process::id()));
    std::fs::write(&script, job.script.text(job.mix)?)?;
    let log_dir = work.join(format!("pgbench-log-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&log_dir);
    std::fs::create_dir_all(&log_dir)?;
    let threads = job.clients.min(std::thread::available_parallelism().map_or(2, |n| n.get()));
    let seconds = job.duration.as_secs().max(1);
    let started = Instant::now();
    let child = Command::new(program)
        .args(["-n", "-M", "prepared", "-l", "--log-prefix"])
        .arg(log_dir.join("tx"))
        .args(["-c", &job.clients.to_string(), "-j", &threads.to_string(), "-T", &seconds.to_string()])
        .args(["-D", &format!("products={}", job.mix.products), "-D", &format!("customers={}", job.mix.customers)])
        .arg("-f")
        .arg(&script)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run pgbench")?;
    let output = tokio::task::spawn_blocking(move || child.wait_with_output());
    let window = match processes {
        Some(processes) => window(processes, job.clients, started, Duration::from_secs(seconds)).await,
        None => Ok(None),
    };
    let output = output.await?.context("cannot run pgbench")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let read = (|| {
        if !output.status.success() {
            bail!("pgbench failed: {}{}", stdout, String::from_utf8_lossy(&output.stderr));
        }
        let window = window?;
        let field = |prefix: &str| -> Option<f64> {
            let line = stdout.lines().find(|line| line.starts_with(prefix))?;
            line[prefix.len()..].split_whitespace().next()?.parse().ok()
        };
        let tps = field("tps = ").with_context(|| format!("no tps in pgbench's output: {stdout}"))?;
        let failed = field("number of failed transactions: ").unwrap_or(0.0) as u64;
        let (mut latencies, mut in_window) = (Vec::new(), 0);
        for entry in std::fs::read_dir(&log_dir)? {
            for line in std::fs::read_to_string(entry?.path())?.lines() {
                let fields: Vec<u64> = line.split_whitespace().map_while(|field| field.parse().ok()).collect();
                let (Some(&us), Some(&done_s), Some(&done_us)) = (fields.get(2), fields.get(4), fields.get(5)) else {
                    continue;
                };
                latencies.push(u32::try_from(us).unwrap_or(u32::MAX));
                let done = done_s * 1_000_000 + done_us;
                in_window += u64::from(window.as_ref().is_some_and(|w| (w.from_us..w.to_us).contains(&done)));
            }
        }
        latencies.sort_unstable();
        let database_cpu = window.map(|w| Spent { ticks: w.ticks, orders: in_window });
        Ok(Ceiling {
            how: format!("pgbench -M prepared -c {} -j {threads}, {} script", job.clients, job.script.name()),
            clients: Some(job.clients),
            orders_per_s: tps,
            p50_ms: quantile_ms(&latencies, 0.50),
            p99_ms: quantile_ms(&latencies, 0.99),
            orders: latencies.len() as u64,
            failed,
            seconds: seconds as f64,
            database_cpu_us_per_order: database_cpu.and_then(Spent::us_per_order),
            database_cpu,
            latencies_us: latencies,
        })
    })();
    let _ = std::fs::remove_dir_all(&log_dir);
    let _ = std::fs::remove_file(&script);
    read
}

/// PostgreSQL's CPU while every client of the pgbench started at `started` is
/// connected: from a short settling after the last one connected to shortly before
/// `duration` ends; `None` if they did not all connect in time.
async fn window(
    processes: &mut PgProcesses,
    clients: usize,
    started: Instant,
    duration: Duration,
) -> anyhow::Result<Option<Window>> {
    let margin = (duration / 10).min(Duration::from_millis(200));
    let end = started + duration - margin;
    while processes.clients("pgbench").await? < clients {
        if Instant::now() + margin >= end {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(margin).await;
    let (from_us, before) = (epoch_us(), processes.snapshot().await?);
    if Instant::now() >= end {
        return Ok(None);
    }
    tokio::time::sleep_until(end).await;
    let (to_us, after) = (epoch_us(), processes.snapshot().await?);
    Ok(Some(Window { from_us, to_us, ticks: after.since(&before) }))
}

fn epoch_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}
