//! Every request's one pass through the middleware, as one `around` layer: the
//! service as request data, then [`log_request`] around the application's answer, in
//! which a body over the limit is refused, an error that poem raises outside the
//! handlers (no such route, wrong method, unreadable body, missing token) becomes
//! problem details like every other error, and a panic becomes a `500`.
//!
//! One layer rather than one per job: poem moves a request's whole future into each
//! layer's, and polls through each, so every layer costs every request.

use super::request_log::{Observed, log_request};
use super::{RouteId, Routes, limit_body};
use crate::api::errors::{from_http_error, internal_error};
use futures_util::FutureExt;
use orders_core::usecases::Service;
use poem::{Endpoint, IntoResponse, Request, Response};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// What the pass needs besides the application.
pub struct Pipeline {
    pub observed: Observed,
    /// The use cases, as request data for the extractors that need them.
    pub service: Service,
}

pub async fn serve<E: Endpoint>(pipeline: Arc<Pipeline>, app: Arc<E>, mut request: Request) -> poem::Result<Response> {
    request.extensions_mut().insert(pipeline.service.clone());
    let routes = &pipeline.observed.routes;
    Ok(log_request(&pipeline.observed, request, |request, route| answer(&*app, request, routes, route)).await)
}

/// `app`'s answer to `request`, which matches `route`.
async fn answer<E: Endpoint>(app: &E, mut request: Request, routes: &Routes, route: Option<RouteId>) -> Response {
    let served = async move {
        limit_body(&mut request).await?;
        app.call(request).await.map(IntoResponse::into_response)
    };
    match AssertUnwindSafe(served).catch_unwind().await {
        Ok(Ok(response)) => response,
        Ok(Err(error)) => from_http_error(error, || routes.allow(route)).into_response(),
        Err(_) => internal_error().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::middleware::{MAX_BODY_BYTES, X_REQUEST_ID};
    use orders_adapters::Store;
    use orders_adapters::memory::MemoryStore;
    use orders_adapters::tokens::JwtIssuer;
    use poem::http::{Method, StatusCode, header};
    use poem::{EndpointExt, Route, get, handler};

    #[handler]
    fn panics() -> &'static str {
        panic!("a handler panicked")
    }

    #[handler]
    fn has_service(request: &Request) -> &'static str {
        if request.data::<Service>().is_some() { r#""yes""# } else { r#""no""# }
    }

    fn app() -> impl Endpoint<Output = Response> {
        let store = Store::Memory(MemoryStore::new());
        let tokens = Arc::new(JwtIssuer::with_random_secret(chrono::TimeDelta::hours(1)));
        let service = orders_composition::service(&store, tokens, Default::default(), Default::default());
        let routes = Routes::from_spec(r#"{"paths": {}}"#, &["/panics", "/service"]);
        let pipeline = Arc::new(Pipeline { observed: Observed { routes, durations: Default::default() }, service });
        Route::new()
            .at("/panics", get(panics))
            .at("/service", get(has_service).post(has_service))
            .around(move |app, request| serve(pipeline.clone(), app, request))
    }

    /// `app`'s answer to the request, and its body read as JSON (`null` if it is not).
    async fn call(method: Method, path: &str, body: Option<&[u8]>) -> (Response, serde_json::Value) {
        let mut request = Request::builder().method(method).uri(path.parse().unwrap()).header(X_REQUEST_ID, "req-1");
        if let Some(body) = body {
            request = request.header(header::CONTENT_LENGTH, body.len());
        }
        let mut response = app().call(request.body(body.unwrap_or_default().to_vec())).await.unwrap();
        let bytes = response.take_body().into_bytes().await.unwrap();
        (response, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    #[tokio::test]
    async fn a_panic_is_a_500_problem_naming_the_request() {
        let (response, problem) = call(Method::GET, "/panics", None).await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/problem+json");
        assert_eq!(response.headers()[X_REQUEST_ID], "req-1");
        assert_eq!(problem["code"], "internal_error");
        assert_eq!(problem["instance"], "urn:request:req-1");
    }

    #[tokio::test]
    async fn errors_outside_the_handlers_are_problems() {
        let (response, problem) = call(Method::DELETE, "/panics", None).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::ALLOW], "GET, HEAD");
        assert_eq!(problem["code"], "method_not_allowed");
        let (response, problem) = call(Method::GET, "/nowhere", None).await;
        assert_eq!((response.status(), &problem["code"]), (StatusCode::NOT_FOUND, &"not_found".into()));
        let (response, problem) = call(Method::POST, "/service", Some(&vec![b'x'; MAX_BODY_BYTES + 1])).await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(problem["code"], "payload_too_large");
    }

    #[tokio::test]
    async fn handlers_find_the_service_as_request_data() {
        let (response, body) = call(Method::GET, "/service", None).await;
        assert_eq!((response.status(), body), (StatusCode::OK, "yes".into()));
    }
}
