//! Decides, when the tests are built, which of them can run on this machine, so that a
//! test that cannot run is reported as ignored, never as passed (libtest cannot ignore
//! a test at run time). It sets:
//!
//! - `postgres_server` when `ORDERS_TEST_POSTGRES_URL` names a PostgreSQL server (each
//!   test creates and drops a database of its own on it);
//! - `postgres_programs` when PostgreSQL's `initdb` and `pg_ctl` are installed, for the
//!   tests that start and stop a server of their own;
//! - `pgbouncer` when `ORDERS_TEST_PGBOUNCER_URL` names a PgBouncer in transaction
//!   pooling mode in front of that server (`tests/pgbouncer/start.sh` starts one);
//! - `prometheus` when Prometheus' `prometheus` and `promtool` are on `PATH` (Debian's
//!   package `prometheus`);
//! - `patroni_cluster` when `patroni`, `etcd` and `haproxy` are on `PATH` (Debian's
//!   packages `patroni`, `etcd-server`, `haproxy`), for the failover test that runs
//!   `deploy/local-cluster.sh`.
//!
//! - `standardwebhooks` when a Python can import the Standard Webhooks reference
//!   library (`tests/python/lib.sh` installs it in the venv under `target/`).
//!
//! `ORDERS_REQUIRE_POSTGRES=1` (as `.ci/run` sets it) sets the first two whatever is
//! found, and `ORDERS_REQUIRE_PGBOUNCER=1` the third, so that what is missing fails
//! those tests instead; `ORDERS_REQUIRE_PROMETHEUS=1` does the same for the fourth and
//! `ORDERS_REQUIRE_PATRONI=1` for the fifth and `ORDERS_REQUIRE_STANDARDWEBHOOKS=1` for the
//! sixth. Tests marked for a missing tool read
//! `#[cfg_attr(not(postgres_server), ignore = "...")]`.

#[path = "src/tools.rs"]
mod tools;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/tools.rs");
    for variable in [
        "ORDERS_TEST_POSTGRES_URL",
        "ORDERS_REQUIRE_POSTGRES",
        "ORDERS_TEST_PGBOUNCER_URL",
        "ORDERS_REQUIRE_PGBOUNCER",
        "ORDERS_REQUIRE_PROMETHEUS",
        "ORDERS_REQUIRE_PATRONI",
        "ORDERS_REQUIRE_STANDARDWEBHOOKS",
        "ORDERS_WEBHOOK_PYTHON",
        "PATH",
    ] {
        println!("cargo::rerun-if-env-changed={variable}");
    }
    println!(
        "cargo::rustc-check-cfg=cfg(postgres_server, postgres_programs, pgbouncer, prometheus, patroni_cluster, standardwebhooks)"
    );

    let required = std::env::var("ORDERS_REQUIRE_POSTGRES").is_ok_and(|value| value == "1");
    if required || std::env::var("ORDERS_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=postgres_server");
    }
    let pgbouncer_required = std::env::var("ORDERS_REQUIRE_PGBOUNCER").is_ok_and(|value| value == "1");
    if pgbouncer_required || std::env::var("ORDERS_TEST_PGBOUNCER_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=pgbouncer");
    }
    match tools::postgres_bin_dir() {
        Some(dir) => {
            println!("cargo::rerun-if-changed={}", dir.join("initdb").display());
            println!("cargo::rustc-cfg=postgres_programs");
        }
        None if required => println!("cargo::rustc-cfg=postgres_programs"),
        None => {}
    }
    programs_cfg("prometheus", &["prometheus", "promtool"], "ORDERS_REQUIRE_PROMETHEUS");
    programs_cfg("patroni_cluster", &["patroni", "etcd", "haproxy"], "ORDERS_REQUIRE_PATRONI");
}

/// Sets `cfg` when every one of `programs` is on `PATH`, or when `required` is `1`.
fn programs_cfg(cfg: &str, programs: &[&str], required: &str) {
    let found: Vec<_> = programs.iter().filter_map(|program| tools::on_path(program)).collect();
    for program in &found {
        println!("cargo::rerun-if-changed={}", program.display());
    }
    if std::env::var(required).is_ok_and(|value| value == "1") || found.len() == programs.len() {
        println!("cargo::rustc-cfg={cfg}");
    }
    let webhooks_required = std::env::var("ORDERS_REQUIRE_STANDARDWEBHOOKS").is_ok_and(|value| value == "1");
    let python = tools::webhook_python();
    if let Some(python) = &python {
        println!("cargo::rerun-if-changed={}", python.display());
    }
    if webhooks_required || python.is_some() {
        println!("cargo::rustc-cfg=standardwebhooks");
    }
}
