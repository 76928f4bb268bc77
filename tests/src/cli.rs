//! Running the real `ordersctl` binary as an operator would: against a fresh SQLite
//! file of its own, from a temporary working directory, capturing what they would see.

use crate::binaries;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Longest a single command may take before the test fails instead of hanging.
const TIMEOUT: Duration = Duration::from_secs(60);

/// `ordersctl` on a database of its own, in a working directory of its own.
pub struct Ctl {
    dir: TempDir,
    database_url: String,
}

impl Ctl {
    /// A fresh SQLite database file (created on first use), passed as `ORDERS_DATABASE_URL`.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let database_url = format!("sqlite://{}?mode=rwc", dir.path().join("orders.db").display());
        Self { dir, database_url }
    }

    /// `url` as `ORDERS_DATABASE_URL`, in an empty working directory.
    pub fn with_url(url: impl Into<String>) -> Self {
        Self { dir: tempfile::tempdir().expect("a temporary directory"), database_url: url.into() }
    }

    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// The working directory the binary runs in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `ordersctl ARGS` with `ORDERS_DATABASE_URL` set to this database.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut command = self.command();
        command.env("ORDERS_DATABASE_URL", &self.database_url);
        run(command, args)
    }

    /// Runs `ordersctl ARGS` with no `ORDERS_DATABASE_URL` at all, to see the defaults.
    pub fn run_without_database_url(&self, args: &[&str]) -> Run {
        run(self.command(), args)
    }

    /// A clean environment: nothing of the caller's ORDERS_* settings, and backtraces on,
    /// so that a panic would show in stderr.
    fn command(&self) -> Command {
        let mut command = Command::new(binaries::path("ordersctl"));
        command
            .current_dir(self.dir.path())
            .env_remove("ORDERS_DATABASE_URL")
            .env_remove("ORDERS_CURRENCY")
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }
}

/// What one run printed, and how it exited.
#[derive(Debug)]
pub struct Run {
    pub args: Vec<String>,
    /// `None` if the process was killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the command succeeded and said nothing on stderr.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.code, Some(0), "ordersctl {:?} failed:\n{}", self.args, self.stderr);
        assert_eq!(self.stderr, "", "ordersctl {:?} succeeded but wrote to stderr", self.args);
        self
    }

    /// Asserts the command exited with `code`, printed nothing on stdout and exactly one
    /// line `error: ...` on stderr; returns that line without its `error: `.
    #[track_caller]
    pub fn fails_with(self, code: i32) -> String {
        assert_eq!(
            self.code,
            Some(code),
            "ordersctl {:?}: unexpected exit status; stderr:\n{}",
            self.args,
            self.stderr
        );
        assert_eq!(self.stdout, "", "ordersctl {:?} failed but printed on stdout", self.args);
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "ordersctl {:?}: stderr is not one line:\n{}", self.args, self.stderr);
        lines[0]
            .strip_prefix("error: ")
            .unwrap_or_else(|| panic!("ordersctl {:?}: stderr does not start with `error: `: {}", self.args, lines[0]))
            .to_owned()
    }

    /// Stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("ordersctl {:?} printed no JSON ({e}):\n{}", self.args, self.stdout))
    }

    /// The value on the stdout line `label   value` (the text form of one record).
    #[track_caller]
    pub fn field(&self, label: &str) -> &str {
        self.stdout
            .lines()
            .find_map(|line| line.strip_prefix(label).filter(|rest| rest.starts_with(' ')).map(str::trim))
            .unwrap_or_else(|| panic!("ordersctl {:?} printed no `{label}` line:\n{}", self.args, self.stdout))
    }

    /// The stdout line whose first column is `first`, split into its columns.
    #[track_caller]
    pub fn row(&self, first: &str) -> Vec<&str> {
        self.stdout
            .lines()
            .map(|line| line.split("  ").map(str::trim).filter(|cell| !cell.is_empty()).collect::<Vec<_>>())
            .find(|cells| cells.first() == Some(&first))
            .unwrap_or_else(|| panic!("ordersctl {:?} printed no row starting {first:?}:\n{}", self.args, self.stdout))
    }
}

fn run(mut command: Command, args: &[&str]) -> Run {
    command.args(args);
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start ordersctl: {e}"));
    let stdout = drain(child.stdout.take().expect("stdout is piped"));
    let stderr = drain(child.stderr.take().expect("stderr is piped"));
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("ordersctl can be waited for") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ordersctl {args:?} did not finish within {TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    let stdout = stdout.join().expect("stdout reader");
    let stderr = stderr.join().expect("stderr reader");
    Run { args, code: status.code(), stdout, stderr }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        pipe.read_to_string(&mut text).expect("ordersctl prints UTF-8");
        text
    })
}
