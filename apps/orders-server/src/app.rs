//! The whole HTTP application: the API, its OpenAPI document and Swagger UI, wrapped in
//! the middleware every request goes through.

use crate::api;
use crate::middleware::{Observed, Pipeline, Routes, serve};
use crate::startup::Prepared;
use poem::{Endpoint, EndpointExt, Route, get};
use std::sync::Arc;

/// Paths served besides the API's operations, all for GET.
const DOCUMENT_PATHS: [&str; 4] = ["/openapi.json", "/openapi.yaml", "/docs", "/docs/oauth-receiver.html"];
/// Where Prometheus scrapes, outside the OpenAPI document.
const METRICS_PATH: &str = "/metrics";

/// The application over what [`startup::prepare`](crate::startup::prepare) made.
pub fn build(prepared: Prepared) -> impl Endpoint + 'static {
    let Prepared { store, service, cursors, limits, metrics, longest_feed_wait } = prepared;
    let api = api::openapi_service(service.clone(), store, cursors, limits, longest_feed_wait);
    let mut routes = Route::new();
    let mut get_paths = DOCUMENT_PATHS.to_vec();
    if let Some(metrics) = metrics {
        routes = routes.at(METRICS_PATH, get(metrics.endpoint()));
        get_paths.push(METRICS_PATH);
    }
    let known = Routes::from_spec(&api.spec(), &get_paths);
    let pipeline = Arc::new(Pipeline { observed: Observed { routes: known, durations: Default::default() }, service });
    routes
        .at("/openapi.json", get(api.spec_endpoint()))
        .at("/openapi.yaml", get(api.spec_endpoint_yaml()))
        .nest("/docs", get(api.swagger_ui()))
        .nest("/", api)
        .around(move |app, request| serve(pipeline.clone(), app, request))
}
