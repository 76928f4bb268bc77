//! Over a real socket, what only a server process shows: a body over the limit refused
//! whether its length is declared or it comes chunked, requests the HTTP layer refuses
//! answered with problems, and the access log.

use orders_tests::server::{ServerOptions, TestServer, answer, chunked_post};
use serde_json::{Value, json};

/// The problem in a raw HTTP/1.1 answer of `status`, checking its head.
fn problem_in(answer: &str, status: u16) -> Value {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no whole answer: {answer:?}"));
    assert!(head.starts_with(&format!("HTTP/1.1 {status} ")), "{head}");
    assert!(head.to_lowercase().contains("content-type: application/problem+json"), "{head}");
    let problem: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
    assert_eq!(problem["status"], status, "{problem}");
    problem
}

#[tokio::test]
async fn requests_the_http_layer_cannot_read_are_answered_with_problems_and_logged() {
    let server = TestServer::start().await;
    let many_headers: String = (0..150).map(|n| format!("X-Header-{n}: {n}\r\n")).collect();
    let cases = [
        (format!("GET /health HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n"), 431, "headers_too_large"),
        (format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000)), 414, "uri_too_long"),
        ("GET /health HTTP/1.1\r\nHost x\r\n\r\n".to_owned(), 400, "malformed_request"),
    ];
    for (request, status, code) in cases {
        let answer = server.raw(request.as_bytes()).await;
        assert_eq!(problem_in(&answer, status)["code"], code, "{answer}");
    }
    let log = server.log();
    for reason in ["Request Header Fields Too Large", "URI Too Long", "Bad Request"] {
        assert!(log.contains(&format!("request refused before routing: {reason}")), "{reason} not logged:\n{log}");
    }
}

#[tokio::test]
async fn a_request_that_stops_arriving_is_answered_408_and_a_silent_socket_just_closed() {
    let options = ServerOptions {
        extra_args: ["--idle-timeout-ms", "300"].map(String::from).to_vec(),
        ..ServerOptions::default()
    };
    let server = TestServer::start_with(options).await;
    let half_body =
        b"POST /v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
    for stalled in [&b"GET /health HTTP/1.1\r\nHost: x\r\n"[..], half_body] {
        let answer = server.raw(stalled).await;
        assert_eq!(problem_in(&answer, 408)["code"], "request_timeout", "{answer}");
    }
    assert_eq!(server.raw(b"").await, "", "nothing was asked, nothing is answered");
    assert!(server.log().contains("a request stopped arriving: answered 408"));
}

#[tokio::test]
async fn a_body_over_64_kib_is_a_413_problem_whether_its_length_is_declared_or_not() {
    let server = TestServer::start().await;
    let big = json!({"email": "a".repeat(70_000), "password": "long enough"}).to_string();
    let request = server.client().post(server.url("/v1/users")).header("content-type", "application/json");

    let declared = answer(request.body(big.clone())).await;
    let chunked = server.raw(&chunked_post("/v1/users", big.as_bytes())).await;

    declared.assert_problem(413, "payload_too_large");
    assert!(chunked.starts_with("HTTP/1.1 413"), "{chunked}");
    assert!(chunked.contains("\"code\":\"payload_too_large\""), "{chunked}");
}

#[tokio::test]
async fn each_request_is_logged_with_method_path_status_and_latency() {
    let server = TestServer::start().await;

    server.get("/v1/nothing-here", None).await;

    let log = server.log();
    let line = log.lines().find(|line| line.contains("/v1/nothing-here")).expect("the request is logged");
    for part in ["method=GET", "path=/v1/nothing-here", "status=404", "latency_ms="] {
        assert!(line.contains(part), "{part} missing from {line}");
    }
}

#[tokio::test]
async fn a_head_trickled_a_byte_at_a_time_is_cut_off_by_the_head_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let options = ServerOptions {
        extra_args: ["--header-timeout-ms", "1000", "--idle-timeout-ms", "5000"].map(String::from).to_vec(),
        ..ServerOptions::default()
    };
    let server = TestServer::start_with(options).await;
    let (mut reading, mut writing) = server.connect().await.into_split();
    let started = std::time::Instant::now();
    let trickle = tokio::spawn(async move {
        let head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ".iter().chain(std::iter::repeat(&b'a'));
        for byte in head {
            if writing.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    });
    let mut received = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), reading.read_to_end(&mut received)).await;
    let took = started.elapsed();
    trickle.abort();
    assert!(read.is_ok(), "still open after 10 s");
    let answer = String::from_utf8_lossy(&received);
    assert_eq!(problem_in(&answer, 408)["code"], "request_timeout", "{answer}");
    assert!(took >= std::time::Duration::from_millis(900), "cut off after {took:?}, before the head timeout");
    server.get("/health", None).await.expect(200);
}
