//! The contract, over the application in process: adding, listing and removing
//! webhook endpoints, their deliveries, and the targets refused.

use orders_tests::app::TestApp;
use serde_json::{Value, json};
use uuid::Uuid;

fn endpoint(url: &str, events: &[&str]) -> Value {
    json!({"url": url, "events": events})
}

#[tokio::test]
async fn an_admin_adds_lists_and_removes_an_endpoint_whose_secret_is_shown_once() {
    let server = TestApp::start_with(&["--webhook-allow-private"]).await;
    let admin = server.admin_token().await;
    let body = endpoint("http://127.0.0.1:9/hooks", &["product.created", "order.placed"]);

    let created = server.post("/v1/webhooks", Some(&admin), &body).await.expect(201).clone();

    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(created["events"], json!(["order.placed", "product.created"]));
    assert_eq!(
        (created["url"].as_str(), created["status"].as_str()),
        (Some("http://127.0.0.1:9/hooks"), Some("active"))
    );
    let id = created["id"].as_str().unwrap();
    let listed = server.get("/v1/webhooks", Some(&admin)).await.expect(200).clone();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(listed["items"][0].get("secret").is_none(), "the secret is never shown again");
    assert_eq!(listed["next_cursor"], Value::Null);
    let deliveries = server.get(&format!("/v1/webhooks/{id}/deliveries"), Some(&admin)).await;
    assert_eq!(deliveries.expect(200)["items"], json!([]), "no server worker runs in process");

    let retry = format!("/v1/webhooks/{id}/deliveries/{}/retry", Uuid::now_v7());
    server.post(&retry, Some(&admin), &json!({})).await.assert_problem(404, "not_found");
    server.call(poem::http::Method::DELETE, &format!("/v1/webhooks/{id}"), Some(&admin), None).await.expect(204);
    let again = server.call(poem::http::Method::DELETE, &format!("/v1/webhooks/{id}"), Some(&admin), None).await;
    again.assert_problem(404, "not_found");
    let gone = server.get(&format!("/v1/webhooks/{id}/deliveries"), Some(&admin)).await;
    gone.assert_problem(404, "not_found");
}

#[tokio::test]
async fn targets_that_are_not_public_https_are_refused_naming_the_url() {
    let server = TestApp::start().await;
    let admin = server.admin_token().await;
    for url in [
        "http://93.184.216.34/hooks",
        "https://127.0.0.1/hooks",
        "https://localhost:8443/hooks",
        "https://[::1]/hooks",
        "https://[::ffff:10.0.0.1]/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://192.168.1.20/hooks",
        "https://0.0.0.0/hooks",
        "https://no-such-host.invalid/hooks",
        "ftp://93.184.216.34/hooks",
        "https://user:password@93.184.216.34/hooks",
    ] {
        let answer = server.post("/v1/webhooks", Some(&admin), &endpoint(url, &["order.placed"])).await;
        assert_eq!(answer.status.as_u16(), 422, "{url} was not refused");
        answer.assert_invalid_fields(&["url"]);
    }
    assert_eq!(server.get("/v1/webhooks", Some(&admin)).await.expect(200)["items"], json!([]), "none was added");
}

#[tokio::test]
async fn event_types_must_be_known_and_each_listed_once() {
    let server = TestApp::start_with(&["--webhook-allow-private"]).await;
    let admin = server.admin_token().await;
    let unknown = endpoint("http://127.0.0.1:9/", &["order.shipped"]);
    server.post("/v1/webhooks", Some(&admin), &unknown).await.assert_invalid_fields(&["events[0]"]);
    let twice = endpoint("http://127.0.0.1:9/", &["order.placed", "order.placed"]);
    server.post("/v1/webhooks", Some(&admin), &twice).await.assert_invalid_fields(&["events[1]"]);
    let none = endpoint("http://127.0.0.1:9/", &[]);
    server.post("/v1/webhooks", Some(&admin), &none).await.assert_invalid_fields(&["events"]);
}

#[tokio::test]
async fn customers_may_not_manage_webhooks() {
    let server = TestApp::start_with(&["--webhook-allow-private"]).await;
    let (_, customer) = server.customer().await;
    let id = Uuid::now_v7();
    let body = endpoint("http://127.0.0.1:9/", &["order.placed"]);
    server.post("/v1/webhooks", Some(&customer), &body).await.assert_problem(403, "forbidden");
    server.get("/v1/webhooks", Some(&customer)).await.assert_problem(403, "forbidden");
    let delete = server.call(poem::http::Method::DELETE, &format!("/v1/webhooks/{id}"), Some(&customer), None).await;
    delete.assert_problem(403, "forbidden");
    let deliveries = server.get(&format!("/v1/webhooks/{id}/deliveries"), Some(&customer)).await;
    deliveries.assert_problem(403, "forbidden");
    let retry = format!("/v1/webhooks/{id}/deliveries/{}/retry", Uuid::now_v7());
    server.post(&retry, Some(&customer), &json!({})).await.assert_problem(403, "forbidden");
}
