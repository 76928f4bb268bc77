//! Over a real socket, where requests have an address: failed logins and sign-ups are
//! limited per client address, whose word for it (`X-Forwarded-For`) is taken only
//! from trusted proxies.

use orders_tests::api::{Answer, DEMO_CUSTOMER};
use orders_tests::server::{ServerOptions, TestServer};
use poem::http::Method;
use serde_json::json;

fn server_with(flags: &[&str]) -> ServerOptions {
    ServerOptions { extra_args: flags.iter().map(|flag| flag.to_string()).collect(), ..ServerOptions::default() }
}

async fn login_from(server: &TestServer, address: &str, email: &str, password: &str) -> Answer {
    let form = [("username", email), ("password", password)];
    server.request(Method::POST, "/v1/auth/token").header("x-forwarded-for", address).form(&form).send().await
}

fn assert_throttled(answer: &Answer, window_seconds: u64) {
    answer.assert_problem(429, "too_many_attempts");
    let retry_after: u64 = answer.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=window_seconds).contains(&retry_after), "Retry-After {retry_after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_limited_per_address_behind_a_trusted_proxy() {
    let server = TestServer::start_with(server_with(&["--failed-logins-per-address", "3"])).await;
    let (customer, password) = (DEMO_CUSTOMER.0, DEMO_CUSTOMER.1);
    for success in 0..3 {
        login_from(&server, "203.0.113.1", customer, password).await.expect(200);
        let failed = login_from(&server, "203.0.113.1", &format!("nobody-{success}@example.com"), "wrong").await;
        failed.assert_problem(401, "invalid_credentials");
    }
    // Three failures (each a different e-mail) used up the address; the successes between
    // them did not count.
    let throttled = login_from(&server, "203.0.113.1", "someone-else@example.com", "wrong").await;
    assert_throttled(&throttled, 900);
    assert_throttled(&login_from(&server, "203.0.113.1", customer, password).await, 900);
    // The proxy's address is not the client's: others behind it log in as before.
    login_from(&server, "203.0.113.2", customer, password).await.expect(200);
    login_from(&server, "198.51.100.7, 203.0.113.3", customer, password).await.expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_pick_its_address_when_no_proxy_is_trusted() {
    let flags = ["--failed-logins-per-address", "2", "--trusted-proxies", ""];
    let server = TestServer::start_with(server_with(&flags)).await;
    for n in 0..2 {
        let failed = login_from(&server, &format!("203.0.113.{n}"), "nobody@example.com", "wrong").await;
        failed.assert_problem(401, "invalid_credentials");
    }
    assert_throttled(&login_from(&server, "203.0.113.99", "nobody@example.com", "wrong").await, 900);
    assert_throttled(&server.request_token(DEMO_CUSTOMER.0, DEMO_CUSTOMER.1).await, 900);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_failed_logins_from_one_address_cannot_outrun_the_limit() {
    let server = TestServer::start_with(server_with(&["--failed-logins-per-address", "5"])).await;
    let mut guesses = tokio::task::JoinSet::new();
    for n in 0..60 {
        let form = [("username", format!("guess-{n}@example.com")), ("password", "wrong".to_owned())];
        guesses.spawn(orders_tests::server::answer(server.client().post(server.url("/v1/auth/token")).form(&form)));
    }
    let answers = guesses.join_all().await;
    let checked = answers.iter().filter(|answer| answer.status == 401).count();
    for answer in answers.iter().filter(|answer| answer.status != 401 && answer.status != 503) {
        assert_throttled(answer, 900);
    }
    println!("60 parallel failed logins from one address, limit 5: {checked} checked");
    assert!(checked <= 5, "{checked} passwords were checked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ups_are_limited_per_address_taken_emails_included() {
    let server = TestServer::start_with(server_with(&["--registrations-per-address", "2"])).await;
    let register = |address: &'static str, email: &'static str, password: &'static str| {
        let body = json!({"email": email, "password": password});
        server.request(Method::POST, "/v1/users").header("x-forwarded-for", address).json(&body).send()
    };
    // A refused body is no sign-up and costs nothing.
    register("203.0.113.1", "short@example.com", "short").await.assert_problem(422, "validation_failed");
    register("203.0.113.1", "new@example.com", "a long password").await.expect(201);
    register("203.0.113.1", DEMO_CUSTOMER.0, "a long password").await.assert_problem(409, "email_taken");
    assert_throttled(&register("203.0.113.1", "later@example.com", "a long password").await, 3600);
    register("203.0.113.2", "later@example.com", "a long password").await.expect(201);
}
