//! Errors raised outside the handlers (no such route, wrong method, unreadable body,
//! missing token) become problem details like every other error; responses that already
//! are problems pass through unchanged.

use super::Routes;
use crate::api::errors::from_http_error;
use poem::{Endpoint, IntoResponse, Request, Response};
use std::sync::Arc;

pub async fn answer_errors_with_problems<E: Endpoint>(
    routes: Arc<Routes>,
    next: Arc<E>,
    request: Request,
) -> poem::Result<Response> {
    let path = request.uri().path().to_owned();
    match next.call(request).await {
        Ok(response) => Ok(response.into_response()),
        Err(error) => Ok(from_http_error(error, || routes.allow_for(&path)).into_response()),
    }
}
