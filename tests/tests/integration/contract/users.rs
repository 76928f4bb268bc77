//! The contract, over the application in process: signing up (`POST /v1/users`), reading yourself
//! (`GET /v1/users/me`) and an admin changing a user's access (`PATCH /v1/users/{id}`).

use orders_tests::api::unique_email;
use orders_tests::app::TestApp;
use poem::http::Method;
use serde_json::json;

#[tokio::test]
async fn signing_up_creates_a_standard_customer_at_its_location() {
    let server = TestApp::start().await;
    let email = unique_email("Ada");

    let answer = server
        .post("/v1/users", None, &json!({"email": email, "password": "correct horse", "full_name": "Ada Lovelace"}))
        .await;

    let user = answer.expect(201);
    assert_eq!(user["email"], email.to_lowercase());
    assert_eq!(user["full_name"], "Ada Lovelace");
    assert_eq!((user["tier"].as_str(), user["role"].as_str()), (Some("standard"), Some("customer")));
    assert!(user["created_at"].is_string() && user.get("password").is_none() && user.get("password_hash").is_none());
    assert_eq!(answer.header("location"), Some(format!("/v1/users/{}", user["id"].as_str().unwrap()).as_str()));
}

#[tokio::test]
async fn a_user_without_a_full_name_has_a_null_one() {
    let server = TestApp::start().await;

    let answer = server.register(&unique_email("anon"), "correct horse").await;

    assert!(answer.expect(201)["full_name"].is_null());
}

#[tokio::test]
async fn an_email_taken_in_any_case_is_a_409() {
    let server = TestApp::start().await;
    let email = unique_email("taken");
    server.register(&email, "correct horse").await.expect(201);

    let again = server.register(&email.to_uppercase(), "another password").await;

    again.assert_problem(409, "email_taken");
}

#[tokio::test]
async fn every_refused_field_of_a_sign_up_is_named() {
    let server = TestApp::start().await;
    let body = json!({"email": "not-an-address", "password": "short", "full_name": "x".repeat(201)});

    let answer = server.post("/v1/users", None, &body).await;

    answer.assert_invalid_fields(&["email", "password", "full_name"]);
}

#[tokio::test]
async fn a_user_reads_their_own_account_with_their_token() {
    let server = TestApp::start().await;
    let (user, token) = server.customer().await;

    let me = server.get("/v1/users/me", Some(&token)).await;

    assert_eq!(me.expect(200), &user);
}

#[tokio::test]
async fn reading_your_account_without_a_valid_token_is_a_401_with_a_bearer_challenge() {
    let server = TestApp::start().await;

    let without = server.get("/v1/users/me", None).await;
    let forged = server.get("/v1/users/me", Some("not.a.jwt")).await;
    let basic = server.request(Method::GET, "/v1/users/me").header("authorization", "Basic YWRhOnB3").send().await;

    for answer in [&without, &forged, &basic] {
        answer.assert_problem(401, "unauthenticated");
        assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
    }
}

#[tokio::test]
async fn an_admin_makes_a_customer_premium_and_it_applies_to_their_existing_token() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let (user, token) = server.customer().await;
    let path = format!("/v1/users/{}", user["id"].as_str().unwrap());

    let updated = server.patch(&path, Some(&admin), &json!({"tier": "premium"})).await;

    assert_eq!(updated.expect(200)["tier"], "premium");
    assert_eq!(updated.body["role"], "customer", "an absent field is left as it is");
    let me = server.get("/v1/users/me", Some(&token)).await;
    assert_eq!(me.expect(200)["tier"], "premium");
}

#[tokio::test]
async fn an_admin_can_make_another_admin() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let (user, token) = server.customer().await;
    let path = format!("/v1/users/{}", user["id"].as_str().unwrap());

    server.patch(&path, Some(&admin), &json!({"role": "admin"})).await.expect(200);

    let (other, _) = server.customer().await;
    let by_new_admin =
        server.patch(&format!("/v1/users/{}", other["id"].as_str().unwrap()), Some(&token), &json!({})).await;
    assert_eq!(by_new_admin.expect(200)["id"], other["id"]);
}

#[tokio::test]
async fn a_customer_may_not_change_access_not_even_their_own() {
    let server = TestApp::start().await;
    let (user, token) = server.customer().await;
    let path = format!("/v1/users/{}", user["id"].as_str().unwrap());

    let answer = server.patch(&path, Some(&token), &json!({"role": "admin"})).await;

    answer.assert_problem(403, "forbidden");
    let me = server.get("/v1/users/me", Some(&token)).await;
    assert_eq!(me.expect(200)["role"], "customer");
}

#[tokio::test]
async fn changing_an_unknown_user_is_a_404() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;

    let answer =
        server.patch(&format!("/v1/users/{}", uuid::Uuid::now_v7()), Some(&admin), &json!({"tier": "premium"})).await;

    answer.assert_problem(404, "user_not_found");
}

#[tokio::test]
async fn changing_access_to_an_unknown_tier_or_at_a_bad_id_is_a_422() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    let (user, _) = server.customer().await;

    let gold = server
        .patch(&format!("/v1/users/{}", user["id"].as_str().unwrap()), Some(&admin), &json!({"tier": "gold"}))
        .await;
    let bad_id = server.patch("/v1/users/not-a-uuid", Some(&admin), &json!({"tier": "premium"})).await;

    gold.assert_invalid_fields(&["tier"]);
    bad_id.assert_invalid_fields(&["id"]);
}

#[tokio::test]
async fn changing_access_without_a_token_is_a_401() {
    let server = TestApp::start().await;

    let answer = server.patch(&format!("/v1/users/{}", uuid::Uuid::now_v7()), None, &json!({"tier": "premium"})).await;

    answer.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn a_full_name_with_control_characters_or_bidi_overrides_is_refused() {
    let server = TestApp::start().await;
    for full_name in ["Ada\u{0}", "Ada \u{202E}ecalovL", "\u{3000}"] {
        let body = json!({"email": unique_email("text"), "password": "correct horse", "full_name": full_name});
        server.post("/v1/users", None, &body).await.assert_invalid_fields(&["full_name"]);
    }
}
