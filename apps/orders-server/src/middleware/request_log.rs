//! What wraps every request from the outside, in one pass: its id (see
//! [`RequestId`]), its span (which every log line of the request carries; with traces
//! on, its server span), the id sent back in `X-Request-Id`, one log line and one
//! sample of the request histogram: route (the template the path matches, such as
//! `/v1/orders/{id}`, or `unmatched`), method, path, status and latency.

use super::RouteId;
use super::request_id::{CURRENT, RequestId, X_REQUEST_ID};
use super::{Routes, UNMATCHED};
use crate::metrics::RequestDurations;
use poem::http::HeaderValue;
use poem::{Request, Response};
use std::time::Instant;
use tracing::Instrument;

/// What the outermost middleware reads: the routes, and the request histogram.
pub struct Observed {
    pub routes: Routes,
    pub durations: RequestDurations,
}

/// `serve`'s answer to `request`, given the route the request matches, observed.
pub async fn log_request<Served: Future<Output = Response>>(
    observed: &Observed,
    request: Request,
    serve: impl FnOnce(Request, Option<RouteId>) -> Served,
) -> Response {
    let started = Instant::now();
    let id = RequestId::from_header(request.headers().get(X_REQUEST_ID));
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let route = observed.routes.find(&path);
    let template = route.map_or(UNMATCHED, |route| observed.routes.template(route));
    let span = if crate::telemetry::traces_on() {
        super::trace::server_span(&request, &id, template)
    } else {
        tracing::info_span!("request", request_id = %id)
    };
    let served = serve(request, route).instrument(span.clone());
    let mut response = CURRENT.scope(id.clone(), served).await;
    let status = response.status();
    let latency = started.elapsed();
    observed.durations.record(route, template, &method, status, latency);
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert(X_REQUEST_ID, value);
    }
    let _in_request = span.enter();
    if crate::telemetry::traces_on() {
        super::trace::answered(&span, status.as_u16());
    }
    let latency_ms = latency.as_micros() as f64 / 1000.0;
    tracing::info!(route = template, %method, %path, status = status.as_u16(), latency_ms, "request");
    response
}
