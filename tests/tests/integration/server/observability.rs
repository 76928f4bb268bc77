//! Over a real socket, what operators see: request ids from request to response, log
//! line and problem body; JSON log lines with the fields collectors index; and never a
//! secret in any log line.

use orders_tests::api::JWT_SECRET;
use orders_tests::server::{ServerOptions, TestServer};
use poem::http::Method;
use serde_json::Value;

fn json_logging() -> ServerOptions {
    ServerOptions { extra_args: ["--log-format", "json"].map(String::from).to_vec(), ..ServerOptions::default() }
}

/// Every line the server logged, each parsed as JSON.
fn log_lines(server: &TestServer) -> Vec<Value> {
    let log = server.log();
    log.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}")))
        .collect()
}

#[tokio::test]
async fn a_request_id_goes_from_request_to_response_log_and_problem() {
    let server = TestServer::start_with(json_logging()).await;
    let sent = "checkout-7f3a retry 2";
    let path = "/v1/products/not-a-uuid";
    let answer = server.request(Method::GET, path).header("x-request-id", sent).send().await;
    let problem = answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.header("x-request-id"), Some(sent));
    assert_eq!(problem["instance"], format!("urn:request:{sent}"));

    let made = server.request(Method::GET, path).header("x-request-id", &"x".repeat(129)).send().await;
    let id = made.header("x-request-id").expect("an id is made").to_owned();
    assert_eq!(uuid::Uuid::parse_str(&id).expect("a UUID").get_version_num(), 7);
    assert_eq!(made.assert_problem(422, "validation_failed")["instance"], format!("urn:request:{id}"));

    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let lines = log_lines(&server);
    let access = lines
        .iter()
        .find(|line| line["span"]["request_id"] == sent && line["message"] == "request")
        .unwrap_or_else(|| panic!("no access line for {sent}: {lines:#?}"));
    assert_eq!(access["route"], "/v1/products/{id}");
    assert_eq!(access["method"], "GET");
    assert_eq!(access["path"], path);
    assert_eq!(access["status"], 422);
    assert!(access["latency_ms"].is_f64(), "{access}");
    assert_eq!(access["level"], "INFO");
    assert!(access["timestamp"].as_str().is_some_and(|at| at.starts_with("20")), "{access}");
    assert!(access["target"].as_str().is_some_and(|target| target.starts_with("orders_server")), "{access}");
    let unmatched = server.get("/nowhere", None).await;
    unmatched.assert_problem(404, "not_found");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(log_lines(&server).iter().any(|line| line["route"] == "unmatched" && line["status"] == 404));
}

#[tokio::test]
async fn no_password_token_or_secret_is_ever_logged() {
    let server = TestServer::start_with(json_logging()).await;
    let password = "pw-that-must-not-leak-81f2";
    let email = "leak-check@example.com";
    server.register(email, password).await.expect(201);
    let token = server.token(email, password).await;
    server.get("/v1/users/me", Some(&token)).await.expect(200);
    server.request_token(email, "wrong-pw-that-must-not-leak-5c").await.assert_problem(401, "invalid_credentials");
    server.get("/v1/users/me", Some(&format!("{token}x"))).await.assert_problem(401, "unauthenticated");
    let form = format!("username={email}&password={password}");
    server.request(Method::POST, "/v1/auth/token").body(Some("application/json"), form).send().await;

    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let log = server.log();
    assert!(log.lines().count() > 5, "the requests were logged:\n{log}");
    for secret in
        [password, "wrong-pw-that-must-not-leak-5c", &token, JWT_SECRET, "customer-password", "admin-password"]
    {
        assert!(!log.contains(secret), "{secret:?} is in the log:\n{log}");
    }
}
