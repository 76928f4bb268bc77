//! The HTTP load generator: `connections` keep-alive HTTP/1.1 connections, each
//! writing its next request as soon as the last answer has been read. Requests are
//! serialized once by the workload; an answer is parsed with `httparse` and read to
//! the end of its `Content-Length`, on the connection's own task (no client pool or
//! dispatch task: the generator shares the cores with the server, so the less CPU it
//! spends, the more the server gets). Only answers completed inside the measured window
//! count; a run stops by itself at the end of its window.

use anyhow::{Context, bail};
use bytes::{Buf, BytesMut};
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One HTTP/1.1 request, as the bytes sent on the wire.
#[derive(Debug, Clone)]
pub struct Request(Vec<u8>);

impl Request {
    /// `method path` to `address`, with `headers` and `body` (`Content-Length` is added
    /// when there is a body).
    pub fn new(method: &str, path: &str, address: SocketAddr, headers: &[(&str, &str)], body: &[u8]) -> Self {
        let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {address}\r\n");
        for (name, value) in headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        if !body.is_empty() {
            let _ = write!(head, "content-length: {}\r\n", body.len());
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        Self(bytes)
    }
}

/// Makes the next request of a run.
pub type MakeRequest = Arc<dyn Fn(&mut StdRng) -> Request + Send + Sync>;

/// How to load: how many connections on how many threads, for how long.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub connections: usize,
    pub threads: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// What came back during the measured window.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Microseconds from sending each request to having read its whole answer.
    pub latencies_us: Vec<u32>,
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no answer (connection errors).
    pub transport_errors: u64,
    /// A few answers that were not the expected status, for the report.
    pub samples: Vec<String>,
    pub window: Duration,
}

impl Outcome {
    pub fn completed(&self) -> u64 {
        self.latencies_us.len() as u64
    }

    /// Answers with another status than `expected`, plus requests with no answer.
    pub fn unexpected(&self, expected: u16) -> u64 {
        self.statuses.iter().filter(|(status, _)| **status != expected).map(|(_, n)| n).sum::<u64>()
            + self.transport_errors
    }

    /// Adds a later run of the same load, as if the two were one.
    pub fn add_run(&mut self, run: Outcome) {
        self.window += run.window;
        merge(self, run);
        self.latencies_us.sort_unstable();
    }

    /// The `q` quantile of latency in milliseconds (`latencies_us` must be sorted).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        quantile_ms(&self.latencies_us, q)
    }
}

pub fn quantile_ms(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted_us.len() as f64 * q).ceil() as usize).clamp(1, sorted_us.len());
    f64::from(sorted_us[rank - 1]) / 1000.0
}

/// Loads `address` as `plan` says with requests from `make`; answers with a status
/// other than `expected` are sampled for the report.
pub fn run(address: SocketAddr, plan: Plan, expected: u16, make: MakeRequest) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let measure_from = started + plan.warmup;
    let until = measure_from + plan.duration;
    let threads = plan.threads.clamp(1, plan.connections.max(1));
    let handles: Vec<_> = (0..threads)
        .map(|thread| {
            let make = make.clone();
            let connections = plan.connections / threads + usize::from(thread < plan.connections % threads);
            std::thread::spawn(move || -> anyhow::Result<Outcome> {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                runtime.block_on(async move {
                    let tasks: Vec<_> = (0..connections)
                        .map(|c| {
                            let seed = (thread * 100_000 + c) as u64 ^ started.elapsed().as_nanos() as u64;
                            tokio::spawn(connection(address, make.clone(), seed, expected, measure_from, until))
                        })
                        .collect();
                    let mut outcome = Outcome::default();
                    for task in tasks {
                        merge(&mut outcome, task.await??);
                    }
                    Ok(outcome)
                })
            })
        })
        .collect();
    let mut outcome = Outcome::default();
    for handle in handles {
        merge(&mut outcome, handle.join().map_err(|_| anyhow::anyhow!("a load thread panicked"))??);
    }
    outcome.latencies_us.sort_unstable();
    outcome.window = plan.duration;
    Ok(outcome)
}

fn merge(into: &mut Outcome, from: Outcome) {
    into.latencies_us.extend(from.latencies_us);
    for (status, n) in from.statuses {
        *into.statuses.entry(status).or_default() += n;
    }
    into.transport_errors += from.transport_errors;
    for sample in from.samples {
        if into.samples.len() < 5 {
            into.samples.push(sample);
        }
    }
}

/// One keep-alive connection to the server.
struct Connection {
    stream: TcpStream,
    /// What has been read and not yet consumed.
    buffer: BytesMut,
}

impl Connection {
    async fn open(address: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(address).await.with_context(|| format!("cannot connect to {address}"))?;
        stream.set_nodelay(true)?;
        Ok(Self { stream, buffer: BytesMut::with_capacity(16 * 1024) })
    }

    /// Sends `request` and reads its whole answer: the status and the body.
    async fn exchange(&mut self, request: &Request) -> anyhow::Result<(u16, BytesMut)> {
        self.stream.write_all(&request.0).await?;
        loop {
            if let Some((status, head, length)) = parse_head(&self.buffer)? {
                while self.buffer.len() < head + length {
                    self.fill().await?;
                }
                self.buffer.advance(head);
                return Ok((status, self.buffer.split_to(length)));
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> anyhow::Result<()> {
        if self.buffer.capacity() - self.buffer.len() < 4096 {
            self.buffer.reserve(16 * 1024);
        }
        if self.stream.read_buf(&mut self.buffer).await? == 0 {
            bail!("the server closed the connection");
        }
        Ok(())
    }
}

/// The status, the length of the head and the body's `Content-Length` of the answer
/// at the start of `buffer`, once its head is complete.
fn parse_head(buffer: &[u8]) -> anyhow::Result<Option<(u16, usize, usize)>> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(head) = response.parse(buffer)? else { return Ok(None) };
    let status = response.code.context("an answer without a status")?;
    let length = match response.headers.iter().find(|h| h.name.eq_ignore_ascii_case("content-length")) {
        Some(header) => std::str::from_utf8(header.value)?.trim().parse()?,
        None if status == 204 || status == 304 => 0,
        None => bail!("an answer ({status}) without Content-Length"),
    };
    Ok(Some((status, head, length)))
}

async fn connection(
    address: SocketAddr,
    make: MakeRequest,
    seed: u64,
    expected: u16,
    measure_from: Instant,
    until: Instant,
) -> anyhow::Result<Outcome> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut outcome = Outcome { latencies_us: Vec::with_capacity(16 * 1024), ..Outcome::default() };
    let mut connection = Connection::open(address).await?;
    while Instant::now() < until {
        let request = make(&mut rng);
        let sent = Instant::now();
        let answer = connection.exchange(&request).await;
        let done = Instant::now();
        let counted = done >= measure_from && done <= until;
        match answer {
            Ok((status, body)) => {
                if counted {
                    outcome.latencies_us.push(u32::try_from(done.duration_since(sent).as_micros()).unwrap_or(u32::MAX));
                    *outcome.statuses.entry(status).or_default() += 1;
                }
                if status != expected && outcome.samples.len() < 2 {
                    outcome.samples.push(format!("{status} {}", String::from_utf8_lossy(&body[..body.len().min(300)])));
                }
            }
            Err(error) => {
                if counted {
                    outcome.transport_errors += 1;
                }
                if outcome.samples.len() < 2 {
                    outcome.samples.push(format!("no answer: {error}"));
                }
                if Instant::now() < until {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    connection = Connection::open(address).await?;
                }
            }
        }
    }
    Ok(outcome)
}

/// Sends one request on a new connection and returns the status and body.
pub async fn once(address: SocketAddr, request: Request) -> anyhow::Result<(u16, BytesMut)> {
    Connection::open(address).await?.exchange(&request).await
}
