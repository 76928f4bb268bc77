//! The contract, over the application in process: logging in with the OAuth2 password grant
//! (`POST /v1/auth/token`), its refusals and its throttling.

use orders_tests::api::unique_email;
use orders_tests::app::TestApp;
use poem::http::Method;

#[tokio::test]
async fn the_password_grant_answers_a_bearer_token_that_authenticates() {
    let server = TestApp::start().await;
    let email = unique_email("login");
    server.register(&email, "correct horse").await.expect(201);

    let answer = server.request_token(&email.to_uppercase(), "correct horse").await;

    let token = answer.expect(200);
    assert_eq!(token["token_type"], "bearer");
    assert_eq!(token["expires_in"], 3600);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let me = server.get("/v1/users/me", token["access_token"].as_str()).await;
    assert_eq!(me.expect(200)["email"], email);
}

#[tokio::test]
async fn a_form_without_grant_type_or_with_a_scope_is_accepted() {
    let server = TestApp::start().await;
    let email = unique_email("form");
    server.register(&email, "correct horse").await.expect(201);
    let form = [("username", email.as_str()), ("password", "correct horse"), ("scope", "anything")];

    let answer = server.request(Method::POST, "/v1/auth/token").form(&form).send().await;

    assert!(answer.expect(200)["access_token"].is_string());
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let server = TestApp::start().await;
    let email = unique_email("known");
    server.register(&email, "correct horse").await.expect(201);

    let wrong_password = server.request_token(&email, "wrong horse").await;
    let unknown_email = server.request_token(&unique_email("unknown"), "correct horse").await;

    wrong_password.assert_problem(401, "invalid_credentials");
    unknown_email.assert_problem(401, "invalid_credentials");
    assert_eq!(wrong_password.body_but_instance(), unknown_email.body_but_instance());
}

#[tokio::test]
async fn a_form_without_a_username_is_a_422() {
    let server = TestApp::start().await;
    let form = [("password", "correct horse")];

    let answer = server.request(Method::POST, "/v1/auth/token").form(&form).send().await;

    answer.assert_invalid_fields(&["username"]);
}

#[tokio::test]
async fn credentials_sent_as_json_are_a_415() {
    let server = TestApp::start().await;
    let body = serde_json::json!({"username": "a@example.com", "password": "correct horse"});

    let answer = server.post("/v1/auth/token", None, &body).await;

    answer.assert_problem(415, "unsupported_media_type");
}

#[tokio::test]
async fn five_failures_throttle_even_the_right_password_with_retry_after() {
    let server = TestApp::start().await;
    let email = unique_email("guessed");
    server.register(&email, "correct horse").await.expect(201);
    for _ in 0..5 {
        server.request_token(&email, "wrong guess").await.assert_problem(401, "invalid_credentials");
    }

    let answer = server.request_token(&email, "correct horse").await;

    answer.assert_problem(429, "too_many_attempts");
    let retry_after: i64 = answer.header("retry-after").expect("Retry-After is sent").parse().unwrap();
    assert!((1..=900).contains(&retry_after), "Retry-After: {retry_after}");
    let others = unique_email("other");
    server.register(&others, "correct horse").await.expect(201);
    server.request_token(&others, "correct horse").await.expect(200);
}
