//! The contract, over the application in process: what every request gets whatever
//! its route (problem details for unknown routes, wrong methods and bad bodies), plus
//! health, readiness and the API's own documents.

use orders_tests::app::TestApp;
use poem::http::Method;
use serde_json::json;

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let server = TestApp::start().await;

    let answer = server.get("/v1/nothing-here", None).await;

    answer.assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem_with_allow() {
    let server = TestApp::start().await;

    let on_orders = server.call(Method::DELETE, "/v1/orders", None, None).await;
    let on_a_product = server.call(Method::PUT, &format!("/v1/products/{}", uuid::Uuid::now_v7()), None, None).await;

    on_orders.assert_problem(405, "method_not_allowed");
    assert_eq!(on_orders.header("allow"), Some("GET, POST, HEAD"));
    on_a_product.assert_problem(405, "method_not_allowed");
    assert_eq!(on_a_product.header("allow"), Some("GET, PATCH, HEAD"));
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_400_problem() {
    let server = TestApp::start().await;
    let request = server.request(Method::POST, "/v1/users");

    let answer = request.body(Some("application/json"), "{\"email\": ").send().await;

    answer.assert_problem(400, "malformed_request");
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_a_422_naming_the_field() {
    let server = TestApp::start().await;

    let wrong_type = server.post("/v1/users", None, &json!({"email": "a@example.com", "password": 12345678})).await;
    let missing = server.post("/v1/users", None, &json!({"email": "a@example.com"})).await;

    wrong_type.assert_invalid_fields(&["password"]);
    missing.assert_invalid_fields(&["password"]);
}

#[tokio::test]
async fn a_body_of_another_content_type_is_a_415_problem() {
    let server = TestApp::start().await;
    let wrong_type = server.request(Method::POST, "/v1/users").body(Some("text/plain"), "{}").send().await;
    let no_type = server.request(Method::POST, "/v1/users").body(None, "{}").send().await;

    wrong_type.assert_problem(415, "unsupported_media_type");
    no_type.assert_problem(415, "unsupported_media_type");
}

#[tokio::test]
async fn a_body_just_under_64_kib_is_read_and_gets_get_requests_are_unaffected() {
    let server = TestApp::start().await;
    let padding = "x".repeat(60_000);
    let body = json!({"email": "not an address", "password": "long enough", "padding": padding});

    let under_the_limit = server.post("/v1/users", None, &body).await;
    let without_a_body = server.get("/v1/products", None).await;

    under_the_limit.assert_invalid_fields(&["email"]);
    without_a_body.expect(200);
}

#[tokio::test]
async fn health_and_readiness_answer_ok() {
    let server = TestApp::start().await;

    let health = server.get("/health", None).await;
    let ready = server.get("/ready", None).await;

    assert_eq!(health.expect(200), &json!({"status": "ok"}));
    assert_eq!(ready.expect(200), &json!({"status": "ok"}));
}

#[tokio::test]
async fn the_openapi_document_and_swagger_ui_are_served() {
    let server = TestApp::start().await;

    let spec = server.get("/openapi.json", None).await;
    let yaml = server.get("/openapi.yaml", None).await;
    let docs = server.get("/docs", None).await;

    assert_eq!(spec.expect(200)["paths"]["/v1/orders"]["post"]["operationId"], "placeOrder");
    let committed: serde_json::Value =
        serde_json::from_str(include_str!("../../../../openapi/openapi.json")).expect("the committed spec is JSON");
    assert_eq!(spec.body, committed, "the server serves the committed openapi/openapi.json");
    assert!(yaml.expect(200).is_null() && yaml.text.contains("operationId: placeOrder"));
    assert!(docs.text.contains("SwaggerUIBundle"), "Swagger UI is served with its assets inline");
    assert!(!docs.text.contains("<script src="), "Swagger UI loads no script from elsewhere");
}
