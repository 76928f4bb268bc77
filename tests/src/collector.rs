//! An OpenTelemetry collector double: an HTTP server in the test process that takes
//! OTLP/HTTP trace exports (`POST /v1/traces`, protobuf) and keeps their spans.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{EndpointExt, Route, Server, handler, post};
use prost::Message;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The double, serving until dropped.
pub struct Collector {
    pub base_url: String,
    spans: Arc<Mutex<Vec<Span>>>,
    server: tokio::task::JoinHandle<()>,
}

#[handler]
fn traces(body: Vec<u8>, spans: Data<&Arc<Mutex<Vec<Span>>>>) -> poem::Result<Vec<u8>> {
    let export = ExportTraceServiceRequest::decode(body.as_slice()).map_err(poem::error::BadRequest)?;
    let mut kept = spans.lock().unwrap();
    for resource in export.resource_spans {
        for scope in resource.scope_spans {
            kept.extend(scope.spans);
        }
    }
    Ok(Vec::new())
}

impl Collector {
    pub async fn start() -> Self {
        let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.expect("a free port");
        let address = acceptor.local_addr()[0].as_socket_addr().copied().expect("a TCP address");
        let spans = Arc::new(Mutex::new(Vec::new()));
        let app = Route::new().at("/v1/traces", post(traces)).data(spans.clone());
        let server = tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(app).await;
        });
        Self { base_url: format!("http://{address}"), spans, server }
    }

    /// The spans received so far.
    pub fn spans(&self) -> Vec<Span> {
        self.spans.lock().unwrap().clone()
    }

    /// Waits up to `timeout` for a span `found` accepts.
    pub async fn wait_for(&self, timeout: Duration, found: impl Fn(&Span) -> bool) -> Option<Span> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(span) = self.spans().into_iter().find(&found) {
                return Some(span);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The value of a span's attribute `key`, as text.
pub fn attribute(span: &Span, key: &str) -> Option<String> {
    let value = span.attributes.iter().find(|attribute| attribute.key == key)?.value.as_ref()?.value.as_ref()?;
    Some(match value {
        AnyValue::StringValue(text) => text.clone(),
        AnyValue::IntValue(number) => number.to_string(),
        AnyValue::BoolValue(flag) => flag.to_string(),
        AnyValue::DoubleValue(number) => number.to_string(),
        other => format!("{other:?}"),
    })
}
