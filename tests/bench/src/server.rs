//! The real `orders-server`: built in release (or the profile asked for), started on a
//! database URL with a known JWT secret, watched for its peak memory, stopped with SIGTERM.

use anyhow::{Context, bail};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Builds `orders-server` with cargo in `profile` (`release` or `debug`) and returns its
/// path. Built as part of the workspace (as the end-to-end tests build it), so that it
/// shares their compiled dependencies.
pub fn build(workspace: &Path, profile: &str) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command.current_dir(workspace).args(["build", "--quiet", "--workspace", "--bin", "orders-server"]);
    if profile == "release" {
        command.arg("--release");
    }
    eprintln!("building orders-server ({profile})…");
    let status = command.status().context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo build of orders-server failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), PathBuf::from);
    let binary = target.join(profile).join("orders-server");
    if !binary.exists() {
        bail!("{} was not built", binary.display());
    }
    Ok(binary)
}

/// A running server, stopped when dropped.
pub struct Server {
    child: Child,
    pub address: SocketAddr,
}

impl Server {
    /// Starts `binary` on `database_url` and waits for its "listening on" line.
    pub fn start(
        binary: &Path,
        database_url: &str,
        jwt_secret: &str,
        extra_args: &[String],
        log: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let stderr = match log {
            Some(path) => Stdio::from(std::fs::File::create(path)?),
            None => Stdio::null(),
        };
        let mut child = Command::new(binary)
            .args(["--database-url", database_url, "--bind", "127.0.0.1:0", "--jwt-secret", jwt_secret])
            .args(extra_args)
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if !sent && let Some(url) = line.strip_prefix("listening on http://") {
                    let _ = tx.send(url.trim().to_owned());
                    sent = true;
                }
            }
        });
        let address = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(address) => address.parse().with_context(|| format!("bad listening address {address}"))?,
            Err(_) => {
                let _ = child.kill();
                bail!("orders-server did not say it was listening within 60 s (status {:?})", child.try_wait());
            }
        };
        Ok(Self { child, address })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident memory since start or the last [`Server::reset_peak`], in MiB.
    pub fn peak_rss_mib(&self) -> Option<f64> {
        status_kib(self.pid(), "VmHWM:").map(|kib| kib as f64 / 1024.0)
    }

    /// Resident memory now, in MiB.
    pub fn rss_mib(&self) -> Option<f64> {
        status_kib(self.pid(), "VmRSS:").map(|kib| kib as f64 / 1024.0)
    }

    /// Starts a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM);
    /// `false` if the kernel refused.
    pub fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5").is_ok()
    }

    /// SIGTERM, then up to 30 s for a graceful exit, then SIGKILL.
    pub fn stop(mut self) -> anyhow::Result<()> {
        self.terminate()
    }

    fn terminate(&mut self) -> anyhow::Result<()> {
        if self.child.try_wait()?.is_some() {
            return Ok(());
        }
        let _ = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.terminate();
    }
}

fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}
