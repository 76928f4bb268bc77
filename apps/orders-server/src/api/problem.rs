//! The one error body of the API: RFC 9457 problem details with a stable `code`
//! ([`ProblemDetails`], the spec's `Problem` schema), and the error that carries it
//! through poem with any headers it needs ([`Problem`]). Which status and code an error
//! gets is the error table's business ([`errors`](super::errors)).

use crate::middleware::RequestId;
use orders_core::domain::Violations;
use poem::http::{HeaderName, HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::Object;
use std::fmt;
use uuid::Uuid;

/// The header that marks an answer given again for a retried `Idempotency-Key`.
pub const IDEMPOTENCY_REPLAYED: HeaderName = HeaderName::from_static("idempotency-replayed");

/// The media type every error is sent with.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error, as RFC 9457 problem details. `code` is the stable, machine-readable part;
/// `title` and `detail` are for people and may change. Members after `code` appear only
/// on the problems that document them.
#[derive(Debug, Clone, PartialEq, Object)]
#[oai(rename = "Problem", skip_serializing_if_is_none)]
pub struct ProblemDetails {
    /// Always `about:blank`: the problem is identified by `status` and `code`.
    #[oai(rename = "type")]
    pub problem_type: String,
    /// The HTTP status phrase, such as `Not Found`.
    pub title: String,
    /// The HTTP status code, repeated from the response.
    pub status: i32,
    /// What went wrong with this request, in one sentence.
    pub detail: String,
    /// Stable snake_case error code, such as `validation_failed`, `out_of_stock` or
    /// `order_not_found`. Clients branch on this (new codes may be added; treat unknown
    /// codes by their status).
    pub code: String,
    /// `validation_failed` only: every refused field of the request, named by its path
    /// (`items[0].quantity`; `Idempotency-Key` for the header, `limit`/`cursor` for query
    /// parameters, `body` for the body as a whole).
    pub errors: Option<Vec<FieldError>>,
    /// `product_not_found` while placing an order, and `out_of_stock`: the product concerned.
    pub product_id: Option<Uuid>,
    /// `out_of_stock`: the quantity the order asked for.
    pub requested: Option<i64>,
    /// `out_of_stock`: the quantity in stock when the order was refused.
    pub available: Option<i64>,
    /// The request this answers, as `urn:request:<id>`, `<id>` being the request's
    /// `X-Request-Id` (the client's, or one made for it); quote it when reporting a
    /// problem.
    pub instance: Option<String>,
}

/// One refused field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct FieldError {
    /// Where the refused value is: a JSON path into the body (`items[0].quantity`), or
    /// the name of a header or query parameter.
    pub field: String,
    /// Why it was refused, in one sentence.
    pub message: String,
}

/// A failed request: the problem details to answer with, plus the headers that go with
/// them (`WWW-Authenticate`, `Retry-After`, `Allow`, `Idempotency-Replayed`).
#[derive(Debug, Clone)]
pub struct Problem {
    details: ProblemDetails,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            details: ProblemDetails {
                problem_type: "about:blank".to_owned(),
                title: status.canonical_reason().unwrap_or("Error").to_owned(),
                status: i32::from(status.as_u16()),
                detail: detail.into(),
                code: code.to_owned(),
                errors: None,
                product_id: None,
                requested: None,
                available: None,
                instance: None,
            },
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: HeaderName, value: impl ToString) -> Self {
        if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
            self.headers.push((name, value));
        }
        self
    }

    /// `errors` naming each of `violations`' fields.
    pub fn with_violations(mut self, violations: &Violations) -> Self {
        let fields = violations.fields().iter();
        self.details.errors = Some(
            fields.map(|error| FieldError { field: error.field.clone(), message: error.message.clone() }).collect(),
        );
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.details.detail = detail.into();
        self
    }

    /// Marked `Idempotency-Replayed: true` if `replayed`.
    pub fn replayed(self, replayed: bool) -> Self {
        if replayed { self.with_header(IDEMPOTENCY_REPLAYED, "true") } else { self }
    }

    pub fn with_details(mut self, edit: impl FnOnce(&mut ProblemDetails)) -> Self {
        edit(&mut self.details);
        self
    }

    pub fn status(&self) -> StatusCode {
        u16::try_from(self.details.status)
            .ok()
            .and_then(|status| StatusCode::from_u16(status).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// Whether this answers a retried `Idempotency-Key` again.
    pub fn is_replayed(&self) -> bool {
        self.headers.iter().any(|(name, _)| *name == IDEMPOTENCY_REPLAYED)
    }

    pub fn details(&self) -> &ProblemDetails {
        &self.details
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.details.code, self.details.detail)
    }
}

impl std::error::Error for Problem {}

impl poem::error::ResponseError for Problem {
    fn status(&self) -> StatusCode {
        Problem::status(self)
    }

    fn as_response(&self) -> Response {
        self.clone().into_response()
    }
}

impl IntoResponse for Problem {
    fn into_response(mut self) -> Response {
        let status = self.status();
        if let Some(id) = RequestId::current() {
            self.details.instance = Some(format!("urn:request:{id}"));
        }
        let body = serde_json::to_vec(&poem_openapi::types::ToJSON::to_json(&self.details))
            .expect("problem details serialize to JSON");
        let mut response = Response::builder().status(status).header(header::CONTENT_TYPE, PROBLEM_JSON).body(body);
        for (name, value) in self.headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}
