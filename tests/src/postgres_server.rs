//! A throw-away PostgreSQL server in a temporary directory, for tests that stop and
//! start the database under a running service. Never the shared server.
//!
//! PostgreSQL refuses to run as root, so when the tests run as root the server runs as
//! the `postgres` system user. Its programs are found as [`tools::postgres_bin_dir`] says.

use crate::tools;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

/// A PostgreSQL server of our own, stopped and deleted on drop.
pub struct PostgresServer {
    dir: TempDir,
    port: u16,
    bin: PathBuf,
}

impl PostgresServer {
    /// Creates a cluster (trust auth, superuser `postgres`) and starts it.
    pub fn start() -> Self {
        let bin = tools::postgres_bin_dir()
            .expect("PostgreSQL's initdb and pg_ctl are not installed (looked with pg_config --bindir and on PATH)");
        let dir = tempfile::Builder::new().prefix("orders-pg-").tempdir().expect("a temporary directory");
        if is_root() {
            run(Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()));
        }
        run(as_postgres(&bin.join("initdb")).arg("-D").arg(data(dir.path())).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ]));
        let port = free_port();
        let server = Self { dir, port, bin };
        server.resume();
        server
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (fast shutdown: connections are cut).
    pub fn stop(&self) {
        run(as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(data(self.dir.path()))
            .args(["-m", "fast", "-w", "stop"]));
    }

    /// Starts the server again on the same port, with the same data.
    pub fn resume(&self) {
        let options =
            format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.dir.path().display());
        run(as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(data(self.dir.path()))
            .args(["-o", &options, "-l"])
            .arg(self.dir.path().join("server.log"))
            .args(["-w", "start"]));
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(data(self.dir.path()))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

fn data(dir: &Path) -> PathBuf {
    dir.join("data")
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command) {
    let output = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}
