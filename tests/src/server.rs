//! The real `orders-server` binary, for what only a real process and real sockets show
//! (signals, logs, connection handling, outages, several servers, generated clients):
//! started on a free port of 127.0.0.1 over a fresh database of its own, waited for
//! until `/health` answers, driven with [`Api`]'s request helpers, killed when dropped.
//!
//! Every server is started with `--demo`, so the demo admin exists to call admin
//! operations; tests create their own customers and products and look only at those.

use crate::api::{Answer, Api, JWT_SECRET};
use crate::binaries;
use std::io::{BufRead, BufReader};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The database every test server gets unless a test asks for another.
pub const DATABASE: Database = Database::Sqlite;

/// Longest wait for a server to start or stop before the test fails instead of hanging.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

/// Which store a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Database {
    Memory,
    /// A SQLite file in the server's temporary directory.
    Sqlite,
}

/// How to start a server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// `None`: a fresh database of [`DATABASE`]'s kind.
    pub database_url: Option<String>,
    pub demo: bool,
    pub extra_args: Vec<String>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self { database_url: None, demo: true, extra_args: Vec::new() }
    }
}

/// A running `orders-server`.
pub struct TestServer {
    child: Child,
    pub base_url: String,
    pub database_url: String,
    client: reqwest::Client,
    api: Api,
    stdout: mpsc::Receiver<String>,
    stderr_log: PathBuf,
    dir: TempDir,
}

impl TestServer {
    /// A server over a fresh database, with demo data.
    pub async fn start() -> Self {
        Self::start_with(ServerOptions::default()).await
    }

    pub async fn start_with(options: ServerOptions) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let database_url = options.database_url.clone().unwrap_or_else(|| fresh_database_url(DATABASE, dir.path()));
        let stderr_log = dir.path().join("server.log");
        let mut command = Command::new(binaries::path("orders-server"));
        command
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RUST_LOG", "info")
            .args(["--bind", "127.0.0.1:0", "--database-url", &database_url, "--jwt-secret", JWT_SECRET])
            .args(options.demo.then_some("--demo"))
            .args(&options.extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_log).expect("a log file"));
        let mut child = command.spawn().expect("orders-server starts");
        let stdout = forward_lines(child.stdout.take().expect("stdout is piped"));
        let base_url = match wait_for_address(&stdout) {
            Some(url) => url,
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("orders-server did not say where it listens; its log:\n{}", read(&stderr_log));
            }
        };
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("an HTTP client");
        let api = Api::over_http(&base_url);
        let server = Self { child, base_url, database_url, client, api, stdout, stderr_log, dir };
        server.wait_until_healthy().await;
        server
    }

    async fn wait_until_healthy(&self) {
        let deadline = Instant::now() + PROCESS_TIMEOUT;
        loop {
            if let Ok(response) = self.client.get(self.url("/health")).send().await
                && response.status() == reqwest::StatusCode::OK
            {
                return;
            }
            assert!(Instant::now() < deadline, "/health never answered; log:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The process id, to send it signals.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server logged so far (stderr).
    pub fn log(&self) -> String {
        read(&self.stderr_log)
    }

    /// The lines the server printed on stdout after the `listening on` line, so far.
    pub fn printed(&self) -> Vec<String> {
        self.stdout.try_iter().collect()
    }

    /// The server's working and database directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let status = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status().expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
        self.wait_for_exit()
    }

    /// Waits for the process to exit by itself.
    pub fn wait_for_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PROCESS_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("the child can be waited for") {
                return status;
            }
            assert!(Instant::now() < deadline, "orders-server did not exit; log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `request` as raw bytes on a new connection, and returns all that comes back
    /// until the server closes it or goes quiet for a second.
    pub async fn raw(&self, request: &[u8]) -> String {
        let mut stream = self.connect().await;
        stream.write_all(request).await.expect("the request is sent");
        read_until_quiet(&mut stream).await
    }

    /// A new TCP connection to the server.
    pub async fn connect(&self) -> TcpStream {
        let address = self.base_url.trim_start_matches("http://");
        TcpStream::connect(address).await.expect("the server accepts connections")
    }
}

impl Deref for TestServer {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a slow client sends before it stalls: nothing, half a request head, or a head
/// promising a 100-byte body and one byte of it.
pub const STALLED_REQUESTS: [&[u8]; 3] = [
    b"",
    b"GET /health HTTP/1.1\r\nHost: slow\r\n",
    b"POST /v1/users HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
];

/// Reads a whole response.
pub async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("the server answers");
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.bytes().await.expect("the body can be read");
    Answer::new(status, headers, &bytes)
}

/// Everything `stream` yields until it closes or is quiet for a second.
pub async fn read_until_quiet(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut buffer = [0u8; 8192];
    while let Ok(Ok(read)) = tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buffer)).await {
        if read == 0 {
            break;
        }
        received.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8_lossy(&received).into_owned()
}

/// A `POST` of a JSON `body` sent with `Transfer-Encoding: chunked`, so without a length.
pub fn chunked_post(path: &str, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in body.chunks(4096) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    request
}

/// A database URL for a new, empty database of `kind` under `dir`.
pub fn fresh_database_url(kind: Database, dir: &Path) -> String {
    match kind {
        Database::Memory => "memory://".to_owned(),
        Database::Sqlite => format!("sqlite://{}?mode=rwc", dir.join("orders.db").display()),
    }
}

/// Sends each line of `stdout` down a channel, from a thread of its own, so that the
/// server never blocks on a full pipe.
fn forward_lines(stdout: std::process::ChildStdout) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// The URL in the `listening on http://…` line, once the server prints it.
fn wait_for_address(stdout: &mpsc::Receiver<String>) -> Option<String> {
    let deadline = Instant::now() + PROCESS_TIMEOUT;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let line = stdout.recv_timeout(left).ok()?;
        if let Some(url) = line.strip_prefix("listening on ") {
            return Some(url.trim().to_owned());
        }
    }
    None
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
