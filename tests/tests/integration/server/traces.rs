//! Over a real socket, with `--otlp-endpoint` naming a collector double in the test: a
//! request is exported as a server span named by its route, continuing the client's
//! W3C trace, with its use case and store calls as child spans.

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use orders_tests::collector::{Collector, attribute};
use orders_tests::server::{ServerOptions, TestServer};
use poem::http::Method;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn an_order_is_exported_as_a_server_span_with_its_use_case_and_store_calls() {
    let collector = Collector::start().await;
    let options = ServerOptions {
        extra_args: vec!["--otlp-endpoint".into(), collector.base_url.clone()],
        ..ServerOptions::default()
    };
    let server = TestServer::start_with(options).await;
    let admin = server.admin_token().await;
    let product = server.product(&admin, 250, 10).await;
    let (_, token) = server.customer().await;

    let (trace_id, client_span) = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
    let placed = server
        .request(Method::POST, "/v1/orders")
        .bearer(&token)
        .header("traceparent", &format!("00-{trace_id}-{client_span}-01"))
        .json(&json!({"items": [{"product_id": product["id"], "quantity": 2}]}))
        .send()
        .await;
    placed.expect(201);
    let request_id = placed.header("x-request-id").expect("a request id").to_owned();

    let in_trace = |span: &opentelemetry_proto::tonic::trace::v1::Span| hex(&span.trace_id) == trace_id;
    let request = collector
        .wait_for(Duration::from_secs(10), |span| in_trace(span) && span.name == "POST /v1/orders")
        .await
        .unwrap_or_else(|| panic!("no server span for the order; received {:#?}", collector.spans()));
    assert_eq!(request.kind, SpanKind::Server as i32);
    assert_eq!(hex(&request.parent_span_id), client_span, "it continues the client's trace");
    assert_eq!(attribute(&request, "http.route").as_deref(), Some("/v1/orders"));
    assert_eq!(attribute(&request, "http.request.method").as_deref(), Some("POST"));
    assert_eq!(attribute(&request, "http.response.status_code").as_deref(), Some("201"));
    assert_eq!(attribute(&request, "request_id"), Some(request_id));

    let use_case = collector
        .wait_for(Duration::from_secs(5), |span| in_trace(span) && span.name == "place_order")
        .await
        .expect("a span for the use case");
    assert_eq!(use_case.parent_span_id, request.span_id, "the use case runs under the request");
    let store = collector
        .wait_for(Duration::from_secs(5), |span| in_trace(span) && span.name == "OrderStore::place")
        .await
        .expect("a span for the store call");
    assert_eq!(store.parent_span_id, use_case.span_id, "the store call runs under the use case");
    assert!(store.end_time_unix_nano > store.start_time_unix_nano);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
