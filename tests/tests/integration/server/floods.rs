//! Over a real socket: floods that used to exhaust the server. Password hashing is
//! bounded, so a burst of logins costs memory for a few hashes, not for every request.

use orders_tests::server::{ServerOptions, TestServer, answer};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The most memory the server's process ever had resident, in KiB (`VmHWM`).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the server's /proc status");
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).expect("a VmHWM line");
    line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("VmHWM in kB")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_logins_are_all_answered_in_bounded_memory() {
    let options = ServerOptions {
        extra_args: ["--password-hashes", "2", "--password-wait-ms", "1000"].map(String::from).to_vec(),
        ..ServerOptions::default()
    };
    let server = TestServer::start_with(options).await;
    let started = Instant::now();
    let mut logins = tokio::task::JoinSet::new();
    for n in 0..200 {
        let form = [("username", format!("nobody-{n}@example.com")), ("password", "wrong horse battery".to_owned())];
        logins.spawn(answer(server.client().post(server.url("/v1/auth/token")).form(&form)));
    }
    let mut statuses = BTreeMap::new();
    while let Some(answered) = logins.join_next().await {
        let answered = answered.unwrap();
        if answered.status.as_u16() == 503 {
            answered.assert_problem(503, "service_unavailable");
            assert_eq!(answered.header("retry-after"), Some("1"));
        }
        *statuses.entry(answered.status.as_u16()).or_insert(0) += 1;
    }
    let took = started.elapsed();
    let peak_mib = peak_rss_kib(server.pid()) / 1024;
    eprintln!("200 concurrent logins: {statuses:?} in {took:.1?}, peak RSS {peak_mib} MiB");
    assert!(statuses.keys().all(|status| [401, 429, 503].contains(status)), "{statuses:?}");
    assert!(statuses.contains_key(&401) && statuses.contains_key(&503), "some checked, some turned away: {statuses:?}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert!(peak_mib <= 200, "peak RSS {peak_mib} MiB");
    let (_, token) = server.customer().await;
    assert!(!token.is_empty(), "after the flood, logins work again");
}
