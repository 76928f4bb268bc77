//! `deploy/local-cluster.sh` driven from a test: etcd, three Patroni-managed PostgreSQL
//! nodes, HAProxy and two `orders-server` processes in a temporary directory of the
//! test's own, brought down (nothing left running) when the value is dropped. With
//! `ORDERS_KEEP_CLUSTER_LOGS=1` the directory, logs included, is kept and named.

use crate::binaries;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

/// The servers' `--failed-logins-per-address`: low, so that a test can show whose
/// address a server counts.
pub const FAILED_LOGINS_PER_ADDRESS: usize = 5;

/// A running local cluster.
pub struct Cluster {
    /// `None` once dropped.
    dir: Option<TempDir>,
    bin_dir: PathBuf,
    /// What `up` printed: `ORDERS_URL`, `PRIMARY_URL`, `REPLICA_URL`, `CLUSTER_DIR`.
    urls: HashMap<String, String>,
}

impl Cluster {
    /// `up`, with the servers built in the tests' profile, catalogue reads routed to the
    /// replicas, [`FAILED_LOGINS_PER_ADDRESS`], and a fresh directory.
    pub fn up() -> Self {
        let server = binaries::path("orders-server");
        binaries::path("ordersctl");
        let bin_dir = server.parent().expect("binaries live in a directory").to_path_buf();
        let dir = tempfile::Builder::new().prefix("orders-cluster-").tempdir().expect("a temporary directory");
        let mut cluster = Self { dir: Some(dir), bin_dir, urls: HashMap::new() };
        cluster.urls = cluster.run("up");
        for name in ["ORDERS_URL", "PRIMARY_URL", "REPLICA_URL", "SERVER_URLS"] {
            assert!(cluster.urls.contains_key(name), "`up` printed no {name}=: {:?}", cluster.urls);
        }
        cluster
    }

    /// Starts again whatever is not running (a node `kill_primary` took down), and waits
    /// until every node runs and a synchronous standby streams.
    pub fn heal(&self) {
        self.run("up");
    }

    pub fn orders_url(&self) -> &str {
        &self.urls["ORDERS_URL"]
    }

    pub fn primary_url(&self) -> &str {
        &self.urls["PRIMARY_URL"]
    }

    /// Each server's own URL, not through HAProxy.
    pub fn server_urls(&self) -> Vec<&str> {
        self.urls["SERVER_URLS"].split(',').collect()
    }

    fn dir(&self) -> &Path {
        self.dir.as_ref().expect("the cluster is up").path()
    }

    /// `kill-primary`: the node killed, and when (Unix time in milliseconds).
    pub fn kill_primary(&self) -> (String, u64) {
        let printed = self.run("kill-primary");
        (printed["KILLED"].clone(), printed["KILLED_AT"].parse().expect("a time in milliseconds"))
    }

    /// `switchover`: the node that was the leader, and when it was asked (Unix ms).
    pub fn switchover(&self) -> (String, u64) {
        let printed = self.run("switchover");
        (printed["SWITCHOVER_FROM"].clone(), printed["SWITCHOVER_AT"].parse().expect("a time in milliseconds"))
    }

    /// `status`, as printed, for messages.
    pub fn status(&self) -> String {
        let output = self.command("status").output().expect("the script runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// `ordersctl` on the cluster's primary, with `args`; its standard output.
    pub fn ordersctl(&self, args: &[&str]) -> String {
        let output = Command::new(self.bin_dir.join("ordersctl"))
            .args(["--database-url", self.primary_url(), "--json"])
            .args(args)
            .output()
            .expect("ordersctl runs");
        assert!(output.status.success(), "ordersctl {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn command(&self, subcommand: &str) -> Command {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/local-cluster.sh");
        let mut command = Command::new("bash");
        command
            .arg(script)
            .arg(subcommand)
            .env("CLUSTER_DIR", self.dir())
            .env("BIN_DIR", &self.bin_dir)
            .env("READ_ROUTING", "1")
            .env("ORDERS_SERVER_ARGS", format!("--failed-logins-per-address {FAILED_LOGINS_PER_ADDRESS}"));
        command
    }

    /// Runs `subcommand`; the `NAME=value` lines it printed.
    fn run(&self, subcommand: &str) -> HashMap<String, String> {
        let output = self.command(subcommand).output().expect("the script runs");
        let printed = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "local-cluster.sh {subcommand} failed: {}{}",
            printed,
            String::from_utf8_lossy(&output.stderr)
        );
        printed
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        match self.command("down").output() {
            Ok(output) if output.status.success() => {}
            Ok(output) => eprintln!("local-cluster.sh down failed: {}", String::from_utf8_lossy(&output.stderr)),
            Err(error) => eprintln!("cannot run local-cluster.sh down: {error}"),
        }
        if std::env::var("ORDERS_KEEP_CLUSTER_LOGS").is_ok_and(|keep| keep == "1")
            && let Some(dir) = self.dir.take()
        {
            eprintln!("the cluster's directory is kept: {}", dir.keep().display());
        }
    }
}
