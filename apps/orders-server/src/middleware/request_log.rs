//! One log line and one sample of the request histogram per request, in the request's
//! span: route (the template the path matches, such as `/v1/orders/{id}`, or
//! `unmatched`), method, path, status and latency.

use super::Routes;
use crate::metrics::REQUEST_DURATION;
use poem::{Endpoint, IntoResponse, Request, Response};
use std::sync::Arc;
use std::time::Instant;

pub async fn log_request<E: Endpoint>(routes: Arc<Routes>, next: Arc<E>, request: Request) -> poem::Result<Response> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.get_response(request).await.into_response();
    let status = response.status().as_u16();
    let route = routes.template_for(&path).unwrap_or(super::UNMATCHED);
    let latency = started.elapsed();
    metrics::histogram!(
        REQUEST_DURATION,
        "http_route" => route.to_owned(),
        "http_request_method" => method.as_str().to_owned(),
        "http_response_status_code" => status.to_string(),
    )
    .record(latency.as_secs_f64());
    let latency_ms = latency.as_micros() as f64 / 1000.0;
    if crate::telemetry::traces_on() {
        super::trace::answered(status);
    }
    tracing::info!(%route, %method, %path, status, latency_ms, "request");
    Ok(response)
}
