//! `orders-bench`: the real `orders-server` under HTTP load on a fresh SQLite file and
//! a fresh PostgreSQL database, measured against each database's own ceiling in the
//! same run, with the CPU each spends per order, plus contention and growth. Results go
//! to `results/` (not committed) as markdown, JSON and SVG charts, with progress on
//! stderr while it runs. `--smoke` is a few seconds with tiny seeds; it never judges
//! timings.

mod ceiling;
mod charts;
mod cpu;
mod ids;
mod load;
mod pg_bin;
mod pg_processes;
mod pgbench;
mod pgbench_script;
mod pgbouncer;
mod postgres;
mod progress;
mod report;
mod server;
mod sqlite;
mod webhooks;
mod workload;

use anyhow::{Context, bail};
use clap::Parser;
use cpu::Used;
use orders_adapters::passwords::Argon2Hasher;
use orders_adapters::tokens::JwtIssuer;
use orders_core::domain::{Cursor, Password, UserId};
use orders_core::ports::{PasswordHasher, TokenIssuer};
use orders_server::api::cursors::{CursorKey, Listing};
use pg_processes::PgProcesses;
use pgbench_script::Script;
use progress::Progress;
use rand::Rng;
use report::{
    Comparison, DatabaseReport, GeneratorCheck, LinesRun, Machine, Measured, OrderRun, ReadRun, Report, Variant,
};
use server::Server;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use workload::{Lines, Mix};

const JWT_SECRET: &str = "orders-bench-secret";
/// How long the tokens the benchmark mints live: longer than any run, and told to the
/// server, which refuses a token that claims to live longer than its own TTL.
const TOKEN_TTL_SECONDS: i64 = 6 * 60 * 60;
const PASSWORD: &str = "bench-password";
/// Stock of every seeded product: ample for any run.
const STOCK: i64 = 1_000_000_000;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "orders-bench",
    about = "Benchmark orders-server on SQLite and PostgreSQL against each database's ceiling."
)]
struct Args {
    /// A few seconds in all, tiny seeds: checks that the benchmark works, measures nothing worth reading.
    #[arg(long)]
    smoke: bool,
    /// Which databases: sqlite, postgres, pgbouncer (PostgreSQL behind a PgBouncer of the
    /// benchmark's own in transaction pooling mode) (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres,pgbouncer")]
    databases: Vec<String>,
    /// Concurrent connections of the order runs (comma-separated).
    #[arg(long, value_delimiter = ',')]
    connections: Option<Vec<usize>>,
    /// Seconds measured per run (after the warm-up).
    #[arg(long)]
    duration: Option<f64>,
    /// Seconds of warm-up before each measured run.
    #[arg(long)]
    warmup: Option<f64>,
    /// Slices in which each order run and its ceiling alternate (default 4, smoke 1).
    #[arg(long)]
    rounds: Option<u32>,
    /// Skip contention and growth: only the order runs and their ceilings.
    #[arg(long)]
    quick: bool,
    /// Lines of every order in the order runs (default: 1 to 3, at random).
    #[arg(long)]
    lines_per_order: Option<u64>,
    /// Threads of the load generator.
    #[arg(long, default_value_t = 1)]
    load_threads: usize,
    /// The PostgreSQL server to use; the run creates and drops a database of its own on it.
    /// Without TLS by default, as on loopback it only adds encryption to both sides.
    #[arg(
        long,
        env = "ORDERS_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
    )]
    postgres_url: String,
    /// Build profile of orders-server: release or debug.
    #[arg(long, default_value = "release")]
    server_profile: String,
    /// Use this orders-server binary instead of building one.
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// An extra argument for orders-server (repeat for more), e.g. --server-arg=--max-connections=8.
    #[arg(long = "server-arg", allow_hyphen_values = true)]
    server_args: Vec<String>,
    /// Keep the server's log (one line per request) in the results folder.
    #[arg(long)]
    server_log: bool,
    /// Where results go (default: results/ in the workspace).
    #[arg(long)]
    results: Option<PathBuf>,
    /// Also measure orders/s with one webhook endpoint registered against none, in
    /// alternating slices at 32 connections (or the first of --connections), and the lag
    /// from an order to its delivery (the server then runs with --demo and
    /// --webhook-allow-private).
    #[arg(long)]
    webhooks: bool,
    /// Also measure what metrics cost in a --quick run (a full run always does): orders
    /// at 32 connections through servers with metrics on and off, in alternating slices.
    #[arg(long)]
    metrics_cost: bool,
}

/// The run's sizes, from --smoke or the full defaults.
#[derive(Debug, Clone, serde::Serialize)]
struct Sizes {
    products: u64,
    customers: u64,
    big: u64,
    connections: Vec<usize>,
    contention_connections: usize,
    lines: Vec<u64>,
    lines_connections: usize,
    read_connections: usize,
    warmup_s: f64,
    duration_s: f64,
    /// The order runs and their ceilings alternate in this many slices of `duration_s`.
    rounds: u32,
    growth_duration_s: f64,
}

impl Sizes {
    fn of(args: &Args) -> Self {
        let mut sizes = if args.smoke {
            Self {
                products: 100,
                customers: 10,
                big: 2_000,
                connections: vec![1, 8],
                contention_connections: 8,
                lines: vec![1, 10],
                lines_connections: 4,
                read_connections: 4,
                warmup_s: 0.2,
                duration_s: 1.0,
                rounds: 1,
                growth_duration_s: 1.0,
            }
        } else {
            Self {
                products: 1_000,
                customers: 300,
                big: 1_000_000,
                connections: vec![1, 8, 32, 128],
                contention_connections: 32,
                lines: vec![1, 10, 100],
                lines_connections: 8,
                read_connections: 32,
                warmup_s: 1.0,
                duration_s: 12.0,
                rounds: 4,
                growth_duration_s: 5.0,
            }
        };
        if let Some(connections) = &args.connections {
            sizes.connections.clone_from(connections);
        }
        if let Some(duration) = args.duration {
            sizes.duration_s = duration;
            sizes.growth_duration_s = duration.min(sizes.growth_duration_s);
        }
        if let Some(warmup) = args.warmup {
            sizes.warmup_s = warmup;
        }
        if let Some(rounds) = args.rounds {
            sizes.rounds = rounds.max(1);
        }
        sizes
    }
}

/// What every database's run shares.
struct Bench {
    args: Args,
    sizes: Sizes,
    server_bin: PathBuf,
    work: PathBuf,
    results: PathBuf,
    hash: String,
    tokens: Arc<Vec<String>>,
    whale_token: String,
    progress: Progress,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let mut machine = Machine::probe();
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize()?;
    let sizes = Sizes::of(&args);
    let results = args.results.clone().unwrap_or_else(|| workspace.join("results"));
    std::fs::create_dir_all(&results)?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), PathBuf::from);
    let work = target.join("orders-bench");
    std::fs::create_dir_all(&work)?;
    if args.databases.iter().any(|database| database == "pgbouncer") {
        pgbouncer::installed()?;
    }
    let server_bin = match &args.server_bin {
        Some(bin) => bin.clone(),
        None => server::build(&workspace, &args.server_profile)?,
    };
    let hash = Argon2Hasher::default()
        .hash(&Password::parse(PASSWORD).map_err(anyhow::Error::msg)?)
        .await?
        .as_str()
        .to_owned();
    let issuer = JwtIssuer::new(JWT_SECRET.as_bytes(), chrono::TimeDelta::seconds(TOKEN_TTL_SECONDS));
    let mint = |n: u64| issuer.issue(UserId::from_uuid(ids::customer(n)), chrono::Utc::now()).map(|t| t.token);
    let tokens = Arc::new((1..=sizes.customers).map(mint).collect::<Result<Vec<_>, _>>()?);
    let whale_token = mint(ids::WHALE)?;
    eprintln!("load average before: {}", machine.load_average_before);

    let bench = Bench {
        args: args.clone(),
        sizes: sizes.clone(),
        server_bin,
        work,
        results: results.clone(),
        hash,
        tokens,
        whale_token,
        progress: Progress::stderr(),
    };
    let mut databases = Vec::new();
    let mut generator_check = None;
    for database in &args.databases {
        let report = match database.as_str() {
            "sqlite" => bench.sqlite(&mut generator_check).await?,
            "postgres" | "postgresql" => bench.postgres(None).await?,
            "pgbouncer" => bench.postgres(Some(&workspace)).await?,
            other => bail!("unknown database {other:?}: use sqlite, postgres or pgbouncer"),
        };
        databases.push(report);
    }
    machine.load_average_after = report::load_average();
    machine.seconds = started.elapsed().as_secs_f64();
    let mut settings = serde_json::to_value(&sizes)?;
    settings["smoke"] = args.smoke.into();
    settings["load_threads"] = args.load_threads.into();
    settings["lines_per_order"] = args.lines_per_order.map_or_else(|| "1-3".to_owned(), |n| n.to_string()).into();
    settings["server_profile"] = args.server_profile.clone().into();
    settings["server_args"] = args.server_args.clone().into();
    let report = Report { machine, settings, generator_check, databases };
    let markdown = report.markdown();
    let json = serde_json::to_string_pretty(&report)?;
    let charts = charts::render(&report)?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let kind = if args.smoke { "smoke" } else { "bench" };
    let mut files = vec![(format!("{kind}-{stamp}.md"), &markdown), (format!("{kind}-{stamp}.json"), &json)];
    files.extend(charts.iter().map(|(name, svg)| (format!("{kind}-{stamp}-{name}.svg"), svg)));
    files.extend([(format!("{kind}-latest.md"), &markdown), (format!("{kind}-latest.json"), &json)]);
    files.extend(charts.iter().map(|(name, svg)| (format!("{kind}-latest-{name}.svg"), svg)));
    for (name, text) in files {
        std::fs::write(results.join(name), text)?;
    }
    println!("{markdown}");
    println!("results: {}", results.join(format!("{kind}-{stamp}.md")).display());
    Ok(())
}

/// `count` `noun`s, in English.
fn plural(count: usize, noun: &str) -> String {
    if count == 1 { format!("1 {noun}") } else { format!("{count} {noun}s") }
}

/// The order in which round `round` (from 1) runs two variants being compared: the
/// first then the second, then the other way round in the next round (A B, B A, A B,
/// ...), so that a drift of the machine's speed across a round, and whatever the slice
/// before leaves behind (a WAL to checkpoint, a busy disk), favours neither.
fn in_turns(round: u32) -> [usize; 2] {
    if round % 2 == 1 { [0, 1] } else { [1, 0] }
}

/// A ceiling's orders/s for the progress lines.
fn per_s(ceiling: &Option<ceiling::Ceiling>) -> String {
    ceiling.as_ref().map_or_else(|| "none".to_owned(), |c| format!("{:.0}", c.orders_per_s))
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> anyhow::Result<T> + Send + 'static) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(work).await?
}

impl Bench {
    fn plan(&self, connections: usize, duration_s: f64) -> load::Plan {
        load::Plan {
            connections,
            threads: self.args.load_threads,
            warmup: Duration::from_secs_f64(self.sizes.warmup_s),
            duration: Duration::from_secs_f64(duration_s),
        }
    }

    /// The orders of the order runs.
    fn order_mix(&self) -> Mix {
        self.mix(self.args.lines_per_order.map_or(Lines::OneToThree, Lines::Exactly))
    }

    fn mix(&self, lines: Lines) -> Mix {
        Mix { lines, products: self.sizes.products, hot: None, customers: self.sizes.customers }
    }

    /// The run `what`: requests from `make` to `address` as `plan` says.
    async fn load(
        &self,
        what: String,
        address: SocketAddr,
        plan: load::Plan,
        expected: u16,
        make: load::MakeRequest,
    ) -> anyhow::Result<Measured> {
        let run = self.progress.run(what, plan.duration);
        run.slice("", plan.warmup, plan.duration);
        let outcome = blocking(move || load::run(address, plan, expected, make)).await?;
        Ok(Measured::of(&outcome, expected))
    }

    /// How long each slice of an order run and of its ceiling lasts, in whole seconds
    /// (pgbench's `-T`).
    fn slice(&self) -> Duration {
        Duration::from_secs_f64((self.sizes.duration_s / f64::from(self.sizes.rounds)).round().max(1.0))
    }

    /// The progress of the order run `what`: `rounds` slices of the service and as many
    /// of each of its `ceilings`.
    fn order_run(&self, what: String, ceilings: u32) -> progress::Run {
        self.progress.run(what, self.slice() * (1 + ceilings) * self.sizes.rounds)
    }

    fn service_slice(&self, run: &progress::Run, round: u32) {
        let label = format!("round {round}/{}, service", self.sizes.rounds);
        run.slice(&label, Duration::from_secs_f64(self.sizes.warmup_s), self.slice());
    }

    fn ceiling_slice(&self, run: &progress::Run, round: u32, ceiling: &str) {
        run.slice(&format!("round {round}/{}, {ceiling}", self.sizes.rounds), Duration::ZERO, self.slice());
    }

    /// How many runs a database has: its order runs, the cost of metrics, and
    /// contention and growth unless --quick.
    fn runs(&self) -> u64 {
        let growth = if self.args.quick { 0 } else { 1 + self.sizes.lines.len() + 4 };
        (self.sizes.connections.len() + usize::from(self.measures_metrics_cost()) + growth) as u64
    }

    /// Whether the run measures what metrics cost: always, unless --quick without
    /// --metrics-cost.
    fn measures_metrics_cost(&self) -> bool {
        !self.args.quick || self.args.metrics_cost
    }

    /// Orders of `mix` at `connections` through the SQLite service, and its ceiling,
    /// alternating in slices (see [`Bench::slice`]): a shared machine's speed drifts
    /// by more than the gap being measured within a minute, and this way the service
    /// and its ceiling meet the same drift.
    async fn sqlite_against_ceiling(
        &self,
        what: String,
        db: &Arc<sqlite::Sqlite>,
        server: &Server,
        mix: Mix,
        connections: usize,
    ) -> anyhow::Result<OrderRun> {
        let slice = self.slice();
        let run = self.order_run(what, 1);
        let reset = server.reset_peak();
        let (mut service, mut used, mut ceilings) = (load::Outcome::default(), Vec::new(), Vec::new());
        for round in 1..=self.sizes.rounds {
            let d = db.clone();
            blocking(move || d.settle()).await?;
            self.service_slice(&run, round);
            let (outcome, cpu) = self.place_slice(server, None, mix, connections, slice).await?;
            service.add_run(outcome);
            used.push(cpu);
            self.ceiling_slice(&run, round, "ceiling");
            let d = db.clone();
            ceilings.push(
                blocking(move || {
                    d.settle()?;
                    d.ceiling(mix, slice)
                })
                .await?,
            );
        }
        let peak = if reset { server.peak_rss_mib() } else { None };
        let service = Measured::of(&service, 201);
        Ok(OrderRun::new(connections, service, peak, Used::total(&used), ceiling::Ceiling::combine(ceilings), None))
    }

    /// As [`Bench::sqlite_against_ceiling`], with two pgbench ceilings: the plain
    /// multi-statement transaction and the service's own statement.
    async fn postgres_against_ceiling(
        &self,
        what: String,
        db: &postgres::Postgres,
        mut processes: Option<&mut PgProcesses>,
        server: &Server,
        mix: Mix,
        connections: usize,
    ) -> anyhow::Result<OrderRun> {
        let slice = self.slice();
        let run = self.order_run(what, 2);
        let reset = server.reset_peak();
        let (mut service, mut used) = (load::Outcome::default(), Vec::new());
        let (mut ceilings, mut one_statement) = (Vec::new(), Vec::new());
        for round in 1..=self.sizes.rounds {
            db.settle().await?;
            self.service_slice(&run, round);
            let (outcome, cpu) = self.place_slice(server, processes.as_deref_mut(), mix, connections, slice).await?;
            service.add_run(outcome);
            used.push(cpu);
            self.ceiling_slice(&run, round, "ceiling");
            let job = pgbench::Job { script: Script::Transaction, mix, clients: connections, duration: slice };
            ceilings.push(self.pgbench(db, processes.as_deref_mut(), job).await);
            self.ceiling_slice(&run, round, "one-statement ceiling");
            let job = pgbench::Job { script: Script::OneStatement, ..job };
            one_statement.push(self.pgbench(db, processes.as_deref_mut(), job).await);
        }
        // A ceiling missing a slice would be measured over other moments than the service.
        let combine = |ceilings: Vec<Option<ceiling::Ceiling>>| {
            ceiling::Ceiling::combine(ceilings.into_iter().collect::<Option<Vec<_>>>().unwrap_or_default())
        };
        let peak = if reset { server.peak_rss_mib() } else { None };
        let service = Measured::of(&service, 201);
        Ok(OrderRun::new(connections, service, peak, Used::total(&used), combine(ceilings), combine(one_statement)))
    }

    /// Places orders of `mix` at `connections` for one slice of `duration`, with the CPU
    /// that the server and, when watched, PostgreSQL used in its measured window.
    async fn place_slice(
        &self,
        server: &Server,
        mut database: Option<&mut PgProcesses>,
        mix: Mix,
        connections: usize,
        duration: Duration,
    ) -> anyhow::Result<(load::Outcome, Used)> {
        let address = server.address;
        let make = workload::place_orders(address, mix, self.tokens.clone());
        let plan = self.plan(connections, duration.as_secs_f64());
        let started = tokio::time::Instant::now();
        let load = tokio::task::spawn_blocking(move || load::run(address, plan, 201, make));
        tokio::time::sleep_until(started + plan.warmup).await;
        let server_before = cpu::process_ticks(server.pid());
        let database_before = match database.as_deref_mut() {
            Some(database) => Some(database.snapshot().await?),
            None => None,
        };
        tokio::time::sleep_until(started + plan.warmup + plan.duration).await;
        let server_after = cpu::process_ticks(server.pid());
        let database_after = match database {
            Some(database) => Some(database.snapshot().await?),
            None => None,
        };
        let outcome = load.await??;
        let placed = outcome.statuses.get(&201).copied().unwrap_or(0);
        let spent = |ticks: Option<u64>| ticks.map(|ticks| cpu::Spent { ticks, orders: placed });
        let used = Used {
            server: spent(server_after.zip(server_before).map(|(after, before)| after.saturating_sub(before))),
            database: spent(database_after.zip(database_before).map(|(after, before)| after.since(&before))),
        };
        Ok((outcome, used))
    }

    fn start_server(&self, database: &str, url: &str) -> anyhow::Result<Server> {
        self.start_server_with(database, url, &[])
    }

    /// A server on `url` with `more` arguments after the run's own.
    fn start_server_with(&self, database: &str, url: &str, more: &[&str]) -> anyhow::Result<Server> {
        let log = self.args.server_log.then(|| self.results.join(format!("server-{database}.log")));
        let mut server_args = vec![format!("--token-ttl-seconds={TOKEN_TTL_SECONDS}")];
        if self.args.webhooks {
            server_args.extend(["--demo".to_owned(), "--webhook-allow-private".to_owned()]);
        }
        server_args.extend(self.args.server_args.iter().cloned());
        server_args.extend(more.iter().map(|arg| (*arg).to_owned()));
        Server::start(&self.server_bin, url, JWT_SECRET, &server_args, log.as_deref())
    }

    /// What metrics cost: orders at the contention level's connections through servers
    /// on the same database with metrics on (the default) and with `--metrics=false`,
    /// alternating in slices as a service and its ceiling do, in twice as many rounds
    /// (the gap sought is a few percent). Every slice has a new server of its own,
    /// started for it and stopped after it, its warm-up filling its caches and its pool:
    /// two processes of the same binary, both with metrics on, served side by side for
    /// every round, were 4% to 7% apart in favour of the one started first; a new pair
    /// every slice, 3% at most, either way. The run's own server is not one of them: it
    /// has served every level before.
    async fn metrics_cost(
        &self,
        database: &str,
        url: &str,
        mut processes: Option<&mut PgProcesses>,
    ) -> anyhow::Result<Comparison> {
        let connections = self.sizes.contention_connections;
        let (slice, mix, rounds) = (self.slice(), self.order_mix(), 2 * self.sizes.rounds);
        let run =
            self.progress.run(format!("metrics on and off, {}", plural(connections, "connection")), slice * 2 * rounds);
        let variants = [
            ("metrics on", "--metrics=true", "metrics"),
            ("metrics off (--metrics=false)", "--metrics=false", "no-metrics"),
        ];
        let mut outcomes: Vec<(load::Outcome, Vec<Used>)> = variants.iter().map(|_| Default::default()).collect();
        for round in 1..=rounds {
            for turn in in_turns(round) {
                let ((label, flag, name), (outcome, used)) = (&variants[turn], &mut outcomes[turn]);
                run.slice(
                    &format!("round {round}/{rounds}, {label}"),
                    Duration::from_secs_f64(self.sizes.warmup_s),
                    slice,
                );
                let server = self.start_server_with(&format!("{database}-{name}-{round}"), url, &[flag])?;
                self.check_server(server.address).await?;
                let (slice_outcome, cpu) =
                    self.place_slice(&server, processes.as_deref_mut(), mix, connections, slice).await?;
                server.stop()?;
                outcome.add_run(slice_outcome);
                used.push(cpu);
            }
        }
        let runs = variants
            .iter()
            .zip(outcomes)
            .map(|((label, ..), (outcome, used))| Variant::new(label, Measured::of(&outcome, 201), Used::total(&used)))
            .collect();
        Ok(Comparison { what: "metrics".to_owned(), connections, variants: runs })
    }

    /// Logs in as customer 1 with the real password flow and places one order with
    /// that token: the seeds and the minted tokens are what the server expects.
    async fn check_server(&self, address: SocketAddr) -> anyhow::Result<()> {
        let form = format!("username=bench-1%40example.com&password={PASSWORD}");
        let headers = [("content-type", "application/x-www-form-urlencoded")];
        let login = load::Request::new("POST", "/v1/auth/token", address, &headers, form.as_bytes());
        let (status, body) = load::once(address, login).await?;
        if status != 200 {
            bail!("logging in as a seeded customer answered {status}: {}", String::from_utf8_lossy(&body));
        }
        let token: serde_json::Value = serde_json::from_slice(&body)?;
        let token = token["access_token"].as_str().context("no access_token")?.to_owned();
        let mix = Mix { customers: 1, ..self.mix(Lines::OneToThree) };
        let make = workload::place_orders(address, mix, Arc::new(vec![token]));
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1);
        let (status, body) = load::once(address, make(&mut rng)).await?;
        if status != 201 {
            bail!("placing an order with a real token answered {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok(())
    }

    /// Compares this generator with wrk on `GET /health` (skipped without wrk).
    async fn check_generator(&self, address: SocketAddr) -> anyhow::Result<GeneratorCheck> {
        let connections = 32;
        let seconds = 5;
        let plan = load::Plan {
            connections,
            threads: 1,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(seconds),
        };
        let make = workload::get(address, None, |_| "/health".to_owned());
        let run = self.progress.run("load generator against wrk, GET /health", plan.duration * 2);
        run.slice("this generator", plan.warmup, plan.duration);
        let outcome = blocking(move || load::run(address, plan, 200, make)).await?;
        let ours = Measured::of(&outcome, 200).per_s;
        run.slice("wrk", Duration::ZERO, plan.duration);
        let wrk = std::process::Command::new("wrk")
            .args(["-t1", &format!("-c{connections}"), &format!("-d{seconds}s"), &format!("http://{address}/health")])
            .output();
        let (wrk_per_s, note) = match wrk {
            Ok(output) if output.status.success() => {
                let text = String::from_utf8_lossy(&output.stdout);
                let rate = text
                    .lines()
                    .find_map(|line| line.strip_prefix("Requests/sec:"))
                    .and_then(|rate| rate.trim().parse::<f64>().ok());
                (
                    rate,
                    "Both share the machine's cores with the server; the faster generator leaves the server more."
                        .to_owned(),
                )
            }
            _ => (None, "wrk is not installed (apt-get install wrk), so there is nothing to compare with.".to_owned()),
        };
        Ok(GeneratorCheck { connections, ours_per_s: ours, wrk_per_s, note })
    }

    async fn sqlite(&self, generator_check: &mut Option<GeneratorCheck>) -> anyhow::Result<DatabaseReport> {
        let db = Arc::new(sqlite::Sqlite::fresh(&self.work, "bench.db")?);
        self.progress.note(format!("SQLite: {}", db.path.display()));
        let check = !self.args.smoke && !self.args.quick && generator_check.is_none();
        let _line = self.progress.database("SQLite", self.runs() + u64::from(check));
        self.progress.doing("starting the server and seeding");
        let server = self.start_server("sqlite", &db.url())?;
        let address = server.address;
        let (products, customers, hash) = (self.sizes.products, self.sizes.customers, self.hash.clone());
        let d = db.clone();
        blocking(move || {
            d.seed_products(1, products, STOCK)?;
            d.seed_customers(customers, &hash)
        })
        .await?;
        self.check_server(address).await?;
        if check {
            *generator_check = Some(self.check_generator(address).await?);
        }
        let mut report = DatabaseReport::new("SQLite");
        for &connections in &self.sizes.connections {
            let what = format!("orders, {}", plural(connections, "connection"));
            let run = self.sqlite_against_ceiling(what, &db, &server, self.order_mix(), connections).await?;
            self.progress.note(format!(
                "SQLite @{connections}: {:.0} orders/s, ceiling {}",
                run.service.per_s,
                per_s(&run.ceiling)
            ));
            report.orders.push(run);
        }
        if self.args.webhooks {
            report.webhooks = Some(self.webhook_cost("SQLite", &server).await?);
        }
        if self.measures_metrics_cost() {
            report.comparisons.push(self.metrics_cost("sqlite", &db.url(), None).await?);
        }
        if !self.args.quick {
            let hot = Mix { hot: Some(1), ..self.mix(Lines::OneToThree) };
            let connections = self.sizes.contention_connections;
            let what = format!("one hot product, {}", plural(connections, "connection"));
            let run = self.sqlite_against_ceiling(what, &db, &server, hot, connections).await?;
            report.contention = Some(OrderRun { peak_rss_mib: None, ..run });
            self.lines(address, &mut report).await?;
            let d = db.clone();
            self.reads(address, &mut report, move |products, big, base_ms| {
                blocking(move || {
                    d.seed_products(products + 1, big, STOCK)?;
                    d.seed_orders(big, base_ms)?;
                    d.settle()
                })
            })
            .await?;
        }
        report.rss_after_mib = server.rss_mib();
        server.stop()?;
        db.remove();
        Ok(report)
    }

    /// PostgreSQL, direct or (with the workspace, for its script) behind a PgBouncer of
    /// the run's own; the ceilings always reach the database directly.
    async fn postgres(&self, through_pgbouncer: Option<&Path>) -> anyhow::Result<DatabaseReport> {
        let (url, progress) = (self.args.postgres_url.clone(), self.progress.clone());
        blocking(move || progress.suspend(|| postgres::ensure_running(&url))).await?;
        let db = postgres::Postgres::create(&self.args.postgres_url).await?;
        self.progress.note(format!("PostgreSQL: {}", db.url));
        let bouncer = through_pgbouncer.map(pgbouncer::PgBouncer::start).transpose()?;
        let outcome = match &bouncer {
            Some(bouncer) => match bouncer.url_of(&db.name) {
                Ok(url) => self.postgres_on(&db, &url, "PostgreSQL via PgBouncer").await,
                Err(error) => Err(error),
            },
            None => self.postgres_on(&db, &db.url, "PostgreSQL").await,
        };
        drop(bouncer);
        let dropped = db.drop_database().await;
        let report = outcome?;
        dropped.context("cannot drop the benchmark's database")?;
        Ok(report)
    }

    async fn postgres_on(
        &self,
        db: &postgres::Postgres,
        server_url: &str,
        label: &'static str,
    ) -> anyhow::Result<DatabaseReport> {
        let _line = self.progress.database(label, self.runs());
        self.progress.doing("starting the server and seeding");
        let server = self.start_server(if server_url == db.url { "postgres" } else { "pgbouncer" }, server_url)?;
        let address = server.address;
        db.seed_products(1, self.sizes.products, STOCK).await?;
        db.seed_customers(self.sizes.customers, &self.hash).await?;
        self.check_server(address).await?;
        let mut processes = PgProcesses::connect(&db.url).await?;
        if processes.is_none() {
            self.progress.note("PostgreSQL runs on another machine: its CPU is not measured");
        }
        let mut report = DatabaseReport::new(label);
        for &connections in &self.sizes.connections {
            let what = format!("orders, {}", plural(connections, "connection"));
            let run = self
                .postgres_against_ceiling(what, db, processes.as_mut(), &server, self.order_mix(), connections)
                .await?;
            self.progress.note(format!(
                "{label} @{connections}: {:.0} orders/s, ceiling {}, one-statement ceiling {}",
                run.service.per_s,
                per_s(&run.ceiling),
                per_s(&run.one_statement_ceiling)
            ));
            report.orders.push(run);
        }
        if self.args.webhooks {
            report.webhooks = Some(self.webhook_cost(label, &server).await?);
        }
        if self.measures_metrics_cost() {
            report.comparisons.push(self.metrics_cost(label, server_url, processes.as_mut()).await?);
        }
        if !self.args.quick {
            let hot = Mix { hot: Some(1), ..self.mix(Lines::OneToThree) };
            let connections = self.sizes.contention_connections;
            let what = format!("one hot product, {}", plural(connections, "connection"));
            let run = self.postgres_against_ceiling(what, db, processes.as_mut(), &server, hot, connections).await?;
            report.contention = Some(OrderRun { peak_rss_mib: None, ..run });
            self.lines(address, &mut report).await?;
            self.reads(address, &mut report, |products, big, base_ms| async move {
                db.seed_products(products + 1, big, STOCK).await?;
                db.seed_orders(big, base_ms).await?;
                db.settle().await
            })
            .await?;
        }
        report.rss_after_mib = server.rss_mib();
        server.stop()?;
        Ok(report)
    }

    /// The pgbench ceiling `job`, at as many clients as the server still accepts (its
    /// max_connections) if fewer, counting only the transactions that placed an order;
    /// `None`, with a note, if pgbench failed.
    async fn pgbench(
        &self,
        db: &postgres::Postgres,
        processes: Option<&mut PgProcesses>,
        job: pgbench::Job,
    ) -> Option<ceiling::Ceiling> {
        let measured = async {
            db.settle().await?;
            let job = pgbench::Job { clients: job.clients.min(db.free_connections().await?), ..job };
            let before = db.orders().await?;
            let ceiling = pgbench::run(&db.pgbench, &db.url, &self.work, job, processes).await?;
            let placed = db.orders().await? - before;
            if placed < ceiling.orders {
                self.progress.note(format!(
                    "PostgreSQL @{}, {} ceiling: {placed} of {} transactions placed an order",
                    job.clients,
                    job.script.name(),
                    ceiling.orders
                ));
            }
            anyhow::Ok(ceiling.placing(placed))
        };
        match measured.await {
            Ok(ceiling) => Some(ceiling),
            Err(error) => {
                self.progress.note(format!("PostgreSQL @{}: no {} ceiling: {error:#}", job.clients, job.script.name()));
                None
            }
        }
    }

    /// Orders/s with one webhook endpoint registered against none, alternating in slices,
    /// and the lag of the deliveries (see webhooks.rs).
    async fn webhook_cost(&self, database: &str, server: &Server) -> anyhow::Result<webhooks::WebhookRun> {
        let connections = if self.sizes.connections.contains(&32) { 32 } else { self.sizes.connections[0] };
        let receiver = webhooks::Receiver::start().await?;
        let token = webhooks::admin_token(server.address).await?;
        let (slice, mix) = (self.slice(), self.order_mix());
        let run = self.progress.run(
            format!("orders with and without a webhook endpoint, {}", plural(connections, "connection")),
            slice * 2 * self.sizes.rounds,
        );
        let (mut without, mut with, mut lags) = (load::Outcome::default(), load::Outcome::default(), Vec::new());
        let mut placed = 0;
        for round in 1..=self.sizes.rounds {
            for turn in in_turns(round) {
                if turn == 0 {
                    run.slice(&format!("round {round}/{}, no endpoint", self.sizes.rounds), Duration::ZERO, slice);
                    without.add_run(self.place_slice(server, None, mix, connections, slice).await?.0);
                    continue;
                }
                let id = webhooks::register(server.address, &token, receiver.address).await?;
                run.slice(&format!("round {round}/{}, one endpoint", self.sizes.rounds), Duration::ZERO, slice);
                let (outcome, _) = self.place_slice(server, None, mix, connections, slice).await?;
                let slice_placed = outcome.statuses.get(&201).copied().unwrap_or(0);
                placed += slice_placed;
                with.add_run(outcome);
                receiver.settle(slice_placed as usize).await;
                webhooks::remove(server.address, &token, &id).await?;
                lags.extend(receiver.take());
            }
        }
        lags.sort_by(f64::total_cmp);
        let (without, with) = (Measured::of(&without, 201), Measured::of(&with, 201));
        let measured = webhooks::WebhookRun {
            connections,
            without_per_s: without.per_s,
            with_per_s: with.per_s,
            ratio: with.per_s / without.per_s,
            placed,
            delivered: lags.len() as u64,
            lag_p50_ms: webhooks::quantile(&lags, 0.50),
            lag_p99_ms: webhooks::quantile(&lags, 0.99),
            lag_max_ms: lags.last().copied().unwrap_or(f64::NAN),
        };
        self.progress.note(format!(
            "{database} @{connections}: {:.0} orders/s with one webhook endpoint, {:.0} without ({:.2}x); \
             {} deliveries, lag p50 {:.0} ms, p99 {:.0} ms",
            measured.with_per_s,
            measured.without_per_s,
            measured.ratio,
            measured.delivered,
            measured.lag_p50_ms,
            measured.lag_p99_ms
        ));
        Ok(measured)
    }

    /// Orders of 1, 10 and 100 lines.
    async fn lines(&self, address: SocketAddr, report: &mut DatabaseReport) -> anyhow::Result<()> {
        for &lines in &self.sizes.lines {
            let connections = self.sizes.lines_connections;
            let make = workload::place_orders(address, self.mix(Lines::Exactly(lines)), self.tokens.clone());
            let plan = self.plan(connections, self.sizes.growth_duration_s);
            let what = format!("orders of {}, {}", plural(lines as usize, "line"), plural(connections, "connection"));
            let service = self.load(what, address, plan, 201, make).await?;
            let p50_ms_per_line = service.p50_ms / lines as f64;
            report.lines.push(LinesRun { lines, connections, service, p50_ms_per_line });
        }
        Ok(())
    }

    /// Product lookups and order listing, before and after the tables grow to `big` rows
    /// (`grow(products, big, base_ms)` seeds the products after the first `products`
    /// and `big` orders of the whale, ids from `base_ms`).
    async fn reads<G, F>(&self, address: SocketAddr, report: &mut DatabaseReport, grow: G) -> anyhow::Result<()>
    where
        G: FnOnce(u64, u64, u64) -> F,
        F: std::future::Future<Output = anyhow::Result<()>>,
    {
        let connections = self.sizes.read_connections;
        let duration = self.sizes.growth_duration_s;
        let lookup = |count: u64| {
            workload::get(address, None, move |rng| format!("/v1/products/{}", ids::product(rng.gen_range(1..=count))))
        };
        let plan = self.plan(connections, duration);
        let database = report.database.clone();
        let mut read = async |what: String, rows: u64, make: load::MakeRequest| -> anyhow::Result<()> {
            let service = self.load(format!("{what}, {rows} rows"), address, plan, 200, make).await?;
            report.reads.push(ReadRun { what, rows, connections, service });
            Ok(())
        };
        let small = self.sizes.products;
        read("GET /v1/products/{id}".into(), small, lookup(small)).await?;

        let big = self.sizes.big;
        let base_ms = 1_000_000_000_000; // 2001: before every order the run places
        self.progress.note(format!("{database}: seeding {big} products and {big} orders…"));
        self.progress.doing(format!("seeding {big} products and {big} orders"));
        let seeding = Instant::now();
        grow(small, big, base_ms).await?;
        self.progress.note(format!("{database}: seeded in {:.1} s", seeding.elapsed().as_secs_f64()));
        read("GET /v1/products/{id}".into(), big, lookup(big)).await?;

        let whale = Some(self.whale_token.as_str());
        let first = workload::get(address, whale, |_| "/v1/orders?limit=20".to_owned());
        read("GET /v1/orders, page 1".into(), big, first).await?;
        // Signed as the server signs the cursors it hands the whale, with the run's secret.
        let listing = Listing::Orders { caller: ids::customer(ids::WHALE), of_user: None };
        let after = Cursor::after(ids::seeded_order(base_ms, 1_000.min(big / 2)));
        let cursor = CursorKey::derive(JWT_SECRET.as_bytes()).sign(after, listing);
        let depth = big - 1_000.min(big / 2);
        let deep = workload::get(address, whale, move |_| format!("/v1/orders?limit=20&cursor={cursor}"));
        read(format!("GET /v1/orders, {depth} orders deep"), big, deep).await
    }
}

impl DatabaseReport {
    fn new(database: &str) -> Self {
        Self {
            database: database.to_owned(),
            orders: Vec::new(),
            contention: None,
            comparisons: Vec::new(),
            lines: Vec::new(),
            reads: Vec::new(),
            rss_after_mib: None,
            webhooks: None,
        }
    }
}
