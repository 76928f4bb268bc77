//! The benchmark's smoke mode end to end: the real server on SQLite (and PostgreSQL when
//! `ORDERS_TEST_POSTGRES_URL` is set), tiny seeds, about a second per run. It checks
//! that the benchmark works and writes its results, charts included; it never judges a
//! timing.
//!
//! Ignored by default (it takes about a minute); .ci/run runs it:
//! `cargo test -p orders-tests --test integration bench_smoke -- --ignored`.

use orders_tests::binaries;
use std::process::Command;

#[test]
#[ignore = "runs the real server for about a minute; .ci/run runs it"]
fn the_benchmark_runs_end_to_end_in_smoke_mode() {
    let postgres = std::env::var("ORDERS_TEST_POSTGRES_URL").ok();
    let results = tempfile::tempdir().unwrap();
    let mut bench = Command::new(binaries::path("orders-bench"));
    bench
        .args(["--smoke", "--server-profile", if cfg!(debug_assertions) { "debug" } else { "release" }])
        .arg("--results")
        .arg(results.path());
    match &postgres {
        Some(url) => bench.args(["--databases", "sqlite,postgres", "--postgres-url", url]),
        None => bench.args(["--databases", "sqlite"]),
    };
    let status = bench.status().expect("orders-bench runs");
    assert!(status.success(), "orders-bench --smoke failed: {status}");

    let markdown = std::fs::read_to_string(results.path().join("smoke-latest.md")).expect("a markdown report");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(results.path().join("smoke-latest.json")).unwrap()).unwrap();
    assert!(markdown.contains("| SQLite | 1 |"), "{markdown}");
    let databases = json["databases"].as_array().unwrap();
    assert_eq!(databases.len(), if postgres.is_some() { 2 } else { 1 });
    for database in databases {
        for run in database["orders"].as_array().unwrap() {
            assert!(run["service"]["answers"].as_u64().unwrap() > 0, "{run}");
            assert_eq!(run["service"]["unexpected"].as_u64(), Some(0), "every order is placed: {run}");
            assert!(run["ceiling"]["orders"].as_u64().unwrap() > 0, "{run}");
        }
        let metrics = &database["comparisons"][0];
        assert_eq!(metrics["what"], "metrics", "{database}");
        let labels: Vec<_> = metrics["variants"].as_array().unwrap().iter().map(|v| v["label"].clone()).collect();
        assert_eq!(labels, ["metrics on", "metrics off (--metrics=false)"], "{metrics}");
        for variant in metrics["variants"].as_array().unwrap() {
            assert!(variant["service"]["answers"].as_u64().unwrap() > 0, "{variant}");
            assert_eq!(variant["service"]["unexpected"].as_u64(), Some(0), "every order is placed: {variant}");
        }
    }
    for chart in ["orders", "p99"] {
        let svg = std::fs::read_to_string(results.path().join(format!("smoke-latest-{chart}.svg"))).expect("a chart");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{chart}: {svg}");
        for label in ["SQLite service", "SQLite ceiling", "connections (log scale)"] {
            assert!(svg.contains(label), "{chart} lacks {label:?}");
        }
        if postgres.is_some() {
            assert!(svg.contains("PostgreSQL ceiling"), "{chart} lacks PostgreSQL's ceiling");
        }
    }
}
