//! Errors raised before a handler runs or after it: by routing, by reading the body,
//! by extracting parameters, by the security scheme, or by a panic. Each becomes the
//! row of the error table it stands for, like any error a handler returns.

use super::codes::{INTERNAL_ERROR, METHOD_NOT_ALLOWED, NOT_FOUND, UNAUTHENTICATED};
use crate::api::body::BodyError;
use crate::api::problem::Problem;
use orders_core::domain::{Invalid, Violations};
use poem::error::{MethodNotAllowedError, NotFoundError, ReadBodyError};
use poem::http::header;
use poem_openapi::error::{
    AuthorizationError, ContentTypeError, ParseParamError, ParsePathError, ParseRequestPayloadError,
};

/// The problem for `error`, raised outside the handlers. `allow` lists the methods of
/// the path, for a 405.
pub fn from_http_error(error: poem::Error, allow: impl FnOnce() -> String) -> Problem {
    if let Some(problem) = error.downcast_ref::<Problem>() {
        return problem.clone();
    }
    if let Some(refused) = body_error(&error) {
        return refused.into();
    }
    if let Some(error) = error.downcast_ref::<ParseParamError>() {
        // Every parameter of this API parses leniently and is judged by core, which
        // names it; this is a fallback that does not guess at poem-openapi's wording.
        let name = error.name;
        return Violations::one(name, Invalid::new(format!("{name} is not valid"))).into();
    }
    if error.is::<ParsePathError>() {
        return Violations::one("path", Invalid::new("a parameter in the path is not valid")).into();
    }
    if error.is::<AuthorizationError>() {
        return UNAUTHENTICATED
            .problem("this operation needs an access token: send `Authorization: Bearer <token>`".to_owned());
    }
    if error.is::<NotFoundError>() {
        return NOT_FOUND.problem("there is nothing at this path".to_owned());
    }
    if error.is::<MethodNotAllowedError>() {
        let allowed = allow();
        return METHOD_NOT_ALLOWED
            .problem(format!("this path does not support this method; it supports {allowed}"))
            .with_header(header::ALLOW, allowed);
    }
    let status = error.status();
    if status.is_server_error() {
        tracing::error!(cause = %error, status = status.as_u16(), "request failed");
        return internal_error();
    }
    let code = status.canonical_reason().unwrap_or("client error").to_lowercase().replace([' ', '-'], "_");
    Problem::new(status, &code, error.to_string())
}

/// What `error` says about the request's body, if it is about the body.
fn body_error(error: &poem::Error) -> Option<BodyError> {
    if let Some(error) = error.downcast_ref::<BodyError>() {
        return Some(error.clone());
    }
    if let Some(error) = error.downcast_ref::<ParseRequestPayloadError>() {
        return Some(BodyError::Malformed(error.reason.clone()));
    }
    if let Some(error) = error.downcast_ref::<ContentTypeError>() {
        return Some(BodyError::UnsupportedMediaType(error.to_string()));
    }
    match error.downcast_ref::<ReadBodyError>()? {
        ReadBodyError::PayloadTooLarge => Some(BodyError::TooLarge),
        _ => Some(BodyError::Malformed("the body could not be read".to_owned())),
    }
}

/// 500 `internal_error`, for a failure whose cause the client must not see (a panic).
pub fn internal_error() -> Problem {
    INTERNAL_ERROR.problem(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::ErrorTable;

    #[test]
    fn a_body_refused_by_poem_is_answered_from_the_body_table() {
        let too_large = from_http_error(ReadBodyError::PayloadTooLarge.into(), String::new);
        assert_eq!((too_large.status().as_u16(), too_large.details().code.as_str()), (413, "payload_too_large"));
        assert_eq!(BodyError::TooLarge.answer().details(), too_large.details());
    }
}
