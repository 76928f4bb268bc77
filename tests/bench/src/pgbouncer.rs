//! A PgBouncer of the benchmark's own in transaction pooling mode, started with the
//! tests' script (`tests/pgbouncer/start.sh`) in front of the benchmark's PostgreSQL, so
//! that the service can be measured behind it (`pgbouncer=true`) as well as direct.
//! Stopped when dropped.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Fails unless `pgbouncer` is on PATH, so that a run that needs it stops before its
/// first measurement rather than after the other databases' minutes.
pub fn installed() -> anyhow::Result<()> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    if std::env::split_paths(&path).any(|dir| dir.join("pgbouncer").is_file()) {
        Ok(())
    } else {
        bail!("pgbouncer is not installed (apt-get install pgbouncer), and --databases names it")
    }
}

pub struct PgBouncer {
    dir: PathBuf,
    /// `postgres://…@127.0.0.1:PORT/test`: the bouncer's address, database to be swapped.
    url: String,
}

impl PgBouncer {
    /// Starts one, with the script in `workspace`.
    pub fn start(workspace: &Path) -> anyhow::Result<Self> {
        let output = Command::new("bash")
            .arg(workspace.join("tests/pgbouncer/start.sh"))
            .output()
            .context("cannot run tests/pgbouncer/start.sh")?;
        if !output.status.success() {
            bail!("PgBouncer did not start: {}", String::from_utf8_lossy(&output.stderr).trim());
        }
        let printed = String::from_utf8_lossy(&output.stdout);
        let value = |name: &str| printed.lines().find_map(|line| line.strip_prefix(name)).map(str::to_owned);
        let dir = value("PGBOUNCER_DIR=").context("the script printed no PGBOUNCER_DIR")?;
        let url = value("ORDERS_TEST_PGBOUNCER_URL=").context("the script printed no URL")?;
        Ok(Self { dir: PathBuf::from(dir), url })
    }

    /// The URL of `database` through this PgBouncer, for the service.
    pub fn url_of(&self, database: &str) -> anyhow::Result<String> {
        let (server, _) = self.url.rsplit_once('/').context("the PgBouncer URL names no database")?;
        Ok(format!("{server}/{database}?pgbouncer=true"))
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("pgbouncer.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}
