//! The one error body of the API: RFC 9457 problem details with a stable `code`
//! ([`ProblemDetails`], the spec's `Problem` schema), the error that carries it through
//! poem with any headers it needs ([`Problem`]), and [`ApiError`], which documents in the
//! spec the statuses an operation can fail with.

use poem::http::{HeaderName, HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Object};
use std::fmt;
use std::marker::PhantomData;
use uuid::Uuid;

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

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.details.errors = Some(errors);
        self
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
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::to_vec(&poem_openapi::types::ToJSON::to_json(&self.details))
            .expect("problem details serialize to JSON");
        let mut response = Response::builder().status(status).header(header::CONTENT_TYPE, PROBLEM_JSON).body(body);
        for (name, value) in self.headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}

/// A header that an error response documents.
#[derive(Debug, Clone, Copy)]
pub struct HeaderDoc {
    pub name: &'static str,
    pub description: &'static str,
    /// `true` for an integer (`Retry-After` in seconds), `false` for a string.
    pub integer: bool,
    /// Whether every response of the status carries it.
    pub required: bool,
}

/// One error status an operation documents, with the codes it can carry.
#[derive(Debug, Clone, Copy)]
pub struct ErrorDoc {
    pub status: u16,
    pub description: &'static str,
    pub headers: &'static [HeaderDoc],
}

impl ErrorDoc {
    pub const fn new(status: u16, description: &'static str) -> Self {
        Self { status, description, headers: &[] }
    }

    pub const fn with_headers(self, headers: &'static [HeaderDoc]) -> Self {
        Self { headers, ..self }
    }
}

/// The error statuses one operation can answer; implemented by a marker type per
/// operation.
pub trait DocumentedErrors: Send + Sync + 'static {
    const ERRORS: &'static [ErrorDoc];
    /// Whether the operation reaches the store, and so can also answer [`SERVER_ERRORS`].
    const USES_STORE: bool = true;
}

/// What an operation answers when it fails: a [`Problem`], documented in the spec with
/// the statuses `E` lists (plus `500` and `503` if it uses the store), each under `application/problem+json`
/// (what is sent) and `application/json` (so that generated clients type the error).
pub struct ApiError<E> {
    problem: Problem,
    documented: PhantomData<fn() -> E>,
}

impl<E> From<Problem> for ApiError<E> {
    fn from(problem: Problem) -> Self {
        Self { problem, documented: PhantomData }
    }
}

impl<E> From<ApiError<E>> for poem::Error {
    fn from(error: ApiError<E>) -> Self {
        error.problem.into()
    }
}

/// `500` and `503`, which any operation that reaches the store can answer.
pub const SERVER_ERRORS: &[ErrorDoc] = &[
    ErrorDoc::new(500, "`internal_error`: the server failed; the cause is logged, not shown."),
    ErrorDoc::new(503, "`service_unavailable`: the database cannot be reached or is saturated; try again later.")
        .with_headers(&[HeaderDoc {
            name: "Retry-After",
            description: "Seconds to wait before trying again.",
            integer: true,
            required: true,
        }]),
];

impl<E: DocumentedErrors> ApiResponse for ApiError<E> {
    fn meta() -> MetaResponses {
        let server_errors = if E::USES_STORE { SERVER_ERRORS } else { &[] };
        MetaResponses { responses: E::ERRORS.iter().chain(server_errors).map(documented_response).collect() }
    }

    fn register(registry: &mut Registry) {
        <ProblemDetails as Type>::register(registry);
    }
}

/// The spec's entry for one error status: the `Problem` schema under both media types.
pub fn documented_response(doc: &ErrorDoc) -> MetaResponse {
    let schema = || <ProblemDetails as Type>::schema_ref();
    MetaResponse {
        description: doc.description,
        status: Some(doc.status),
        status_range: None,
        content: vec![
            MetaMediaType { content_type: PROBLEM_JSON, schema: schema() },
            MetaMediaType { content_type: "application/json", schema: schema() },
        ],
        headers: doc
            .headers
            .iter()
            .map(|header| MetaHeader {
                name: header.name.to_owned(),
                description: Some(header.description.to_owned()),
                required: header.required,
                deprecated: false,
                schema: if header.integer { <i64 as Type>::schema_ref() } else { <String as Type>::schema_ref() },
            })
            .collect(),
    }
}
