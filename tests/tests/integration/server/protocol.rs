//! Over a real socket, what only a server process shows: a body over the limit refused
//! whether its length is declared or it comes chunked, and the access log.

use orders_tests::server::{TestServer, answer, chunked_post};
use serde_json::json;

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
