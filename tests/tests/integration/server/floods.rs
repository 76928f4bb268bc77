//! Over a real socket: floods that used to exhaust the server. Password hashing is
//! bounded, so a burst of logins costs memory for a few hashes, not for every request.

use orders_tests::server::{STALLED_REQUESTS, ServerOptions, TestServer, answer};
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
        extra_args: ["--password-hashes", "2", "--password-wait-ms", "1000", "--failed-logins-per-address", "0"]
            .map(String::from)
            .to_vec(),
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

/// Reads from `stream` until the server closes it (or resets it): how long that took,
/// or `None` if it is still open after `within`.
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> Option<Duration> {
    use tokio::io::AsyncReadExt;
    let started = Instant::now();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + within).into(), stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_sockets_and_stalled_heads_and_bodies_are_closed_by_the_idle_timeout() {
    use tokio::io::AsyncWriteExt;
    let options = ServerOptions {
        extra_args: ["--idle-timeout-ms", "500"].map(String::from).to_vec(),
        ..ServerOptions::default()
    };
    let server = TestServer::start_with(options).await;
    for sent in STALLED_REQUESTS {
        let mut stream = server.connect().await;
        stream.write_all(sent).await.unwrap();
        let closed = closed_within(&mut stream, Duration::from_secs(5)).await;
        let what = String::from_utf8_lossy(sent);
        assert!(closed.is_some_and(|after| after >= Duration::from_millis(400)), "{what:?}: closed after {closed:?}");
    }
    let mut keep_alive = server.connect().await;
    keep_alive.write_all(b"GET /health HTTP/1.1\r\nHost: slow\r\n\r\n").await.unwrap();
    assert!(closed_within(&mut keep_alive, Duration::from_secs(5)).await.is_some(), "an idle keep-alive is closed too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_cap_silent_sockets_make_room_and_health_answers_within_a_second() {
    hold_slow_sockets_and_probe_health(300, Some(100)).await;
}

/// The attack as measured: as many slow sockets as the file limit allows (19,900 of
/// 20,000), held by a process of their own, against a server with its default cap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_within_a_second_while_19_900_slow_sockets_are_held() {
    hold_slow_sockets_and_probe_health(19_900, None).await;
}

async fn hold_slow_sockets_and_probe_health(sockets: usize, cap: Option<usize>) {
    use std::io::BufRead;
    let mut extra_args = vec!["--idle-timeout-ms".to_owned(), "120000".to_owned()];
    if let Some(cap) = cap {
        extra_args.extend(["--max-open-connections".to_owned(), cap.to_string()]);
    }
    let server = TestServer::start_with(ServerOptions { extra_args, ..ServerOptions::default() }).await;
    let address = server.base_url.trim_start_matches("http://").to_owned();
    let mut holder = std::process::Command::new(env!("CARGO_BIN_EXE_slow-clients"))
        .args([&address, &sockets.to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("slow-clients starts");
    let mut line = String::new();
    std::io::BufReader::new(holder.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let held: usize = line.trim().trim_start_matches("held ").parse().expect("slow-clients says how many it holds");

    let probe = reqwest::Client::builder().timeout(Duration::from_secs(1)).build().unwrap();
    let started = Instant::now();
    let health = probe.get(server.url("/health")).send().await;
    let took = started.elapsed();
    // Connections ended to make room close when their tasks next run: on a loaded
    // machine, give them a moment before counting what stays open.
    let files_open = || std::fs::read_dir(format!("/proc/{}/fd", server.pid())).map(|dir| dir.count()).unwrap_or(0);
    let settling = Instant::now();
    let mut open = files_open();
    while cap.is_some_and(|cap| open >= cap + 64) && settling.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        open = files_open();
    }
    let _ = holder.kill();
    let _ = holder.wait();
    eprintln!(
        "{held} slow sockets held: /health answered {:?} in {took:?}; the server has {open} files open",
        health.as_ref().map(|r| r.status())
    );
    assert!(held >= sockets * 9 / 10, "only {held} of {sockets} sockets could be opened");
    assert_eq!(health.expect("/health answers within a second").status(), 200);
    if let Some(cap) = cap {
        assert!(open < cap + 64, "{open} files open past a cap of {cap}");
    }
}
