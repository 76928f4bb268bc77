//! A request's server span, when traces are exported: named by method and route
//! template (`POST /v1/orders`), with OpenTelemetry's HTTP attributes, and continuing the trace a client
//! names in a W3C `traceparent` header.

use super::RequestId;
use opentelemetry::propagation::Extractor;
use poem::Request;
use poem::http::HeaderMap;
use tracing::Span;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The span of `request`, which matches `route`.
pub fn server_span(request: &Request, id: &RequestId, route: &str) -> Span {
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        otel.name = format!("{} {route}", request.method()),
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = %request.method(),
        url.path = request.uri().path(),
        http.route = route,
        http.response.status_code = Empty,
    );
    let parent =
        opentelemetry::global::get_text_map_propagator(|propagator| propagator.extract(&Headers(request.headers())));
    let _ = span.set_parent(parent);
    span
}

/// Records how the request was answered on its `span`.
pub fn answered(span: &Span, status: u16) {
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "error");
    }
}

/// A request's headers, as the propagator reads them.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|name| name.as_str()).collect()
    }
}
