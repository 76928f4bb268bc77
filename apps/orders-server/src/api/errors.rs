//! Every error the API answers, in one place: the status and `code` of each use-case
//! error, of each refused input, and of each failure of the HTTP layer (unknown route,
//! wrong method, unreadable body, missing token). Answers with status 5xx say nothing of
//! their cause; the whole cause chain is logged here instead.

use super::body::BodyError;
use super::problem::{ApiError, ErrorDoc, FieldError, HeaderDoc, Problem};
use orders_core::domain::{Invalid, Refusal, Violations};
use orders_core::ports::BackendError;
use orders_core::usecases::{
    AuthenticateError, CancelOrderError, CreateProductError, CurrentUserError, GetOrderError, GetProductError,
    ListOrdersError, PlaceOrderError, RegisterError, RestockError, UpdateProductError, UpdateUserError,
};
use poem::error::{MethodNotAllowedError, NotFoundError, ReadBodyError};
use poem::http::{HeaderName, StatusCode, header};
use poem_openapi::error::{
    AuthorizationError, ContentTypeError, ParseParamError, ParsePathError, ParseRequestPayloadError,
};

/// The header that marks an answer given again for a retried `Idempotency-Key`.
pub const IDEMPOTENCY_REPLAYED: HeaderName = HeaderName::from_static("idempotency-replayed");

/// Seconds a client is asked to wait after `503 service_unavailable`.
const RETRY_UNAVAILABLE_AFTER_SECONDS: i64 = 1;

fn validation_failed(violations: &Violations) -> Problem {
    let errors = violations
        .fields()
        .iter()
        .map(|error| FieldError { field: error.field.clone(), message: error.message.clone() })
        .collect();
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        format!("the request is not valid: {violations}"),
    )
    .with_errors(errors)
}

fn unauthenticated(detail: &str) -> Problem {
    Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail).with_header(header::WWW_AUTHENTICATE, "Bearer")
}

fn forbidden(error: impl std::fmt::Display) -> Problem {
    Problem::new(StatusCode::FORBIDDEN, "forbidden", error.to_string())
}

impl From<Violations> for Problem {
    /// 422 `validation_failed`, naming every refused field.
    fn from(violations: Violations) -> Self {
        validation_failed(&violations)
    }
}

impl From<BackendError> for Problem {
    /// 503 `service_unavailable` when the store cannot be reached or is saturated, else
    /// 500 `internal_error`. The cause chain is logged, never shown.
    fn from(error: BackendError) -> Self {
        tracing::error!(cause = %cause_chain(&error), "the store failed");
        match error {
            BackendError::Unavailable(_) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                "the service cannot reach its database right now; try again shortly",
            )
            .with_header(header::RETRY_AFTER, RETRY_UNAVAILABLE_AFTER_SECONDS),
            BackendError::Failed(_) => internal_error(),
        }
    }
}

/// 500 `internal_error`, for any failure whose cause the client must not see.
pub fn internal_error() -> Problem {
    Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "the server failed to answer; this was logged")
}

/// 503 `not_ready`: `GET /ready` when the database does not answer.
pub fn not_ready(error: BackendError) -> Problem {
    tracing::warn!(cause = %cause_chain(&error), "not ready: the database does not answer");
    Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "the database does not answer")
        .with_header(header::RETRY_AFTER, RETRY_UNAVAILABLE_AFTER_SECONDS)
}

impl From<RegisterError> for Problem {
    fn from(error: RegisterError) -> Self {
        match error {
            RegisterError::EmailTaken => Problem::new(StatusCode::CONFLICT, "email_taken", error.to_string()),
            RegisterError::Backend(error) => error.into(),
        }
    }
}

impl From<AuthenticateError> for Problem {
    fn from(error: AuthenticateError) -> Self {
        match error {
            AuthenticateError::InvalidCredentials => {
                Problem::new(StatusCode::UNAUTHORIZED, "invalid_credentials", error.to_string())
                    .with_header(header::WWW_AUTHENTICATE, "Bearer")
            }
            AuthenticateError::TooManyAttempts { retry_after_seconds } => {
                Problem::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", error.to_string())
                    .with_header(header::RETRY_AFTER, retry_after_seconds)
            }
            AuthenticateError::Backend(error) => error.into(),
        }
    }
}

/// The detail of a 401 for a token that is no longer good.
const TOKEN_NOT_GOOD: &str = "the access token is malformed, expired, or names no user; log in again";

impl From<CurrentUserError> for Problem {
    fn from(error: CurrentUserError) -> Self {
        match error {
            CurrentUserError::Unauthenticated => unauthenticated(TOKEN_NOT_GOOD),
            CurrentUserError::Backend(error) => error.into(),
        }
    }
}

impl From<UpdateUserError> for Problem {
    fn from(error: UpdateUserError) -> Self {
        match error {
            UpdateUserError::Forbidden => forbidden(error),
            UpdateUserError::NotFound => Problem::new(StatusCode::NOT_FOUND, "user_not_found", error.to_string()),
            UpdateUserError::Backend(error) => error.into(),
        }
    }
}

impl From<GetProductError> for Problem {
    fn from(error: GetProductError) -> Self {
        match error {
            GetProductError::NotFound => product_not_found(error),
            GetProductError::Backend(error) => error.into(),
        }
    }
}

impl From<CreateProductError> for Problem {
    fn from(error: CreateProductError) -> Self {
        match error {
            CreateProductError::Forbidden => forbidden(error),
            CreateProductError::SkuTaken => Problem::new(StatusCode::CONFLICT, "sku_taken", error.to_string()),
            CreateProductError::Backend(error) => error.into(),
        }
    }
}

impl From<UpdateProductError> for Problem {
    fn from(error: UpdateProductError) -> Self {
        match error {
            UpdateProductError::Forbidden => forbidden(error),
            UpdateProductError::NotFound => product_not_found(error),
            UpdateProductError::Backend(error) => error.into(),
        }
    }
}

impl From<RestockError> for Problem {
    fn from(error: RestockError) -> Self {
        match error {
            RestockError::Forbidden => forbidden(error),
            RestockError::NotFound => product_not_found(error),
            // 422: the quantity is refused because of the stock it would add up to.
            RestockError::StockLimit { .. } => {
                validation_failed(&Violations::one("quantity", Invalid::new(error.to_string())))
            }
            RestockError::Backend(error) => error.into(),
        }
    }
}

fn product_not_found(error: impl std::fmt::Display) -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "product_not_found", error.to_string())
}

impl From<PlaceOrderError> for Problem {
    fn from(error: PlaceOrderError) -> Self {
        match error {
            PlaceOrderError::Refused { reason, replayed } => {
                let problem = refusal(reason);
                if replayed { problem.with_header(IDEMPOTENCY_REPLAYED, "true") } else { problem }
            }
            PlaceOrderError::IdempotencyKeyReused => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused", error.to_string())
            }
            PlaceOrderError::IdempotencyKeyInUse => {
                Problem::new(StatusCode::CONFLICT, "idempotency_key_in_use", error.to_string())
                    .with_header(header::RETRY_AFTER, 1)
            }
            PlaceOrderError::UnknownCustomer => unauthenticated(TOKEN_NOT_GOOD),
            PlaceOrderError::Backend(error) => error.into(),
        }
    }
}

/// Rules 1 to 3 of placing an order: 404 `product_not_found`, 409 `out_of_stock`, or 422
/// `validation_failed` when the total does not fit.
fn refusal(reason: Refusal) -> Problem {
    match reason {
        Refusal::ProductNotFound { product_id } => {
            product_not_found(reason).with_details(|details| details.product_id = Some(product_id.as_uuid()))
        }
        Refusal::OutOfStock { product_id, requested, available } => {
            Problem::new(StatusCode::CONFLICT, "out_of_stock", reason.to_string()).with_details(|details| {
                details.product_id = Some(product_id.as_uuid());
                details.requested = Some(requested);
                details.available = Some(available);
            })
        }
        Refusal::PriceOverflow(overflow) => {
            validation_failed(&Violations::one("items", Invalid::new(overflow.to_string())))
        }
    }
}

impl From<GetOrderError> for Problem {
    fn from(error: GetOrderError) -> Self {
        match error {
            GetOrderError::NotFound => Problem::new(StatusCode::NOT_FOUND, "order_not_found", error.to_string()),
            GetOrderError::Backend(error) => error.into(),
        }
    }
}

impl From<ListOrdersError> for Problem {
    fn from(error: ListOrdersError) -> Self {
        match error {
            ListOrdersError::Forbidden => forbidden(error),
            ListOrdersError::Backend(error) => error.into(),
        }
    }
}

impl From<CancelOrderError> for Problem {
    fn from(error: CancelOrderError) -> Self {
        match error {
            CancelOrderError::NotFound => Problem::new(StatusCode::NOT_FOUND, "order_not_found", error.to_string()),
            CancelOrderError::NotCancellable => {
                Problem::new(StatusCode::CONFLICT, "order_not_cancellable", error.to_string())
            }
            CancelOrderError::Backend(error) => error.into(),
        }
    }
}

/// Lets handlers answer any use-case error with `?`.
macro_rules! into_api_error {
    ($($error:ty),+ $(,)?) => {
        $(impl<E> From<$error> for ApiError<E> {
            fn from(error: $error) -> Self {
                Problem::from(error).into()
            }
        })+
    };
}

into_api_error!(
    Violations,
    BackendError,
    RegisterError,
    AuthenticateError,
    CurrentUserError,
    UpdateUserError,
    GetProductError,
    CreateProductError,
    UpdateProductError,
    RestockError,
    PlaceOrderError,
    GetOrderError,
    ListOrdersError,
    CancelOrderError,
);

/// The problem for an error raised outside the handlers: by routing, by reading or
/// parsing the request, or by the security scheme. `allow` lists the methods of the
/// path, for a 405.
pub fn from_http_error(error: poem::Error, allow: impl FnOnce() -> String) -> Problem {
    if let Some(problem) = error.downcast_ref::<Problem>() {
        return problem.clone();
    }
    if let Some(error) = error.downcast_ref::<BodyError>() {
        return match error {
            BodyError::Malformed(reason) => Problem::new(
                StatusCode::BAD_REQUEST,
                "malformed_request",
                format!("the body is not well-formed: {reason}"),
            ),
            BodyError::Invalid(violations) => validation_failed(violations),
        };
    }
    if let Some(error) = error.downcast_ref::<ParseParamError>() {
        return validation_failed(&Violations::one(error.name, parameter_refused(error)));
    }
    if error.is::<ParsePathError>() {
        // poem-openapi names path parameters `param0`…; this API's only one is `id`.
        return validation_failed(&Violations::one("id", Invalid::new("id must be a UUID")));
    }
    if let Some(error) = error.downcast_ref::<ParseRequestPayloadError>() {
        return Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed_request",
            format!("the body is not well-formed: {}", error.reason),
        );
    }
    if let Some(error) = error.downcast_ref::<ContentTypeError>() {
        return Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", error.to_string());
    }
    if error.is::<AuthorizationError>() {
        return unauthenticated("this operation needs an access token: send `Authorization: Bearer <token>`");
    }
    if error.is::<NotFoundError>() {
        return Problem::new(StatusCode::NOT_FOUND, "not_found", "there is nothing at this path");
    }
    if error.is::<MethodNotAllowedError>() {
        let allowed = allow();
        return Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("this path does not support this method; it supports {allowed}"),
        )
        .with_header(header::ALLOW, allowed);
    }
    if let Some(error) = error.downcast_ref::<ReadBodyError>() {
        return match error {
            ReadBodyError::PayloadTooLarge => payload_too_large(),
            _ => Problem::new(StatusCode::BAD_REQUEST, "malformed_request", "the body could not be read"),
        };
    }
    let status = error.status();
    if status.is_server_error() {
        tracing::error!(cause = %error, status = status.as_u16(), "request failed");
        return internal_error();
    }
    let code = status.canonical_reason().unwrap_or("client error").to_lowercase().replace([' ', '-'], "_");
    Problem::new(status, &code, error.to_string())
}

/// Why a header or query parameter did not parse, without poem-openapi's type names.
fn parameter_refused(error: &ParseParamError) -> Invalid {
    let name = error.name;
    if error.reason.contains("uuid") {
        Invalid::new(format!("{name} must be a UUID"))
    } else if error.reason.contains("integer") {
        Invalid::new(format!("{name} must be an integer"))
    } else {
        Invalid::new(format!("{name} is not valid: {}", error.reason))
    }
}

/// 413 `payload_too_large`.
pub fn payload_too_large() -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the body is larger than the limit of {} bytes", crate::middleware::MAX_BODY_BYTES),
    )
}

/// `error` and each of its sources, joined by `: `.
pub fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}

const WWW_AUTHENTICATE_DOC: HeaderDoc =
    HeaderDoc { name: "WWW-Authenticate", description: "Always `Bearer`.", integer: false, required: true };

/// The error statuses shared by many operations, as the spec documents them.
pub mod docs {
    use super::*;

    pub const MALFORMED_REQUEST: ErrorDoc =
        ErrorDoc::new(400, "`malformed_request`: the body is not well-formed (JSON that does not parse, or empty).");
    pub const UNAUTHENTICATED: ErrorDoc = ErrorDoc::new(
        401,
        "`unauthenticated`: the `Authorization: Bearer` token is missing, malformed, expired, or names no user.",
    )
    .with_headers(&[WWW_AUTHENTICATE_DOC]);
    pub const INVALID_CREDENTIALS: ErrorDoc = ErrorDoc::new(
        401,
        "`invalid_credentials`: the email or the password is wrong (the same answer for both, and it counts \
         towards throttling).",
    )
    .with_headers(&[WWW_AUTHENTICATE_DOC]);
    pub const FORBIDDEN: ErrorDoc = ErrorDoc::new(403, "`forbidden`: only an admin may do this.");
    pub const PAYLOAD_TOO_LARGE: ErrorDoc = ErrorDoc::new(413, "`payload_too_large`: the body is over 64 KiB.");
    pub const UNSUPPORTED_MEDIA_TYPE: ErrorDoc =
        ErrorDoc::new(415, "`unsupported_media_type`: the `Content-Type` is missing or not `application/json`.");
    pub const VALIDATION_FAILED: ErrorDoc = ErrorDoc::new(
        422,
        "`validation_failed`: a value is refused; `errors` names each refused field. Well-formed JSON of the \
         wrong shape (a missing field, a string for a number) is refused this way too.",
    );
    pub const QUERY_VALIDATION_FAILED: ErrorDoc =
        ErrorDoc::new(422, "`validation_failed`: `limit` or `cursor` is refused; `errors` names which.");
    pub const ID_VALIDATION_FAILED: ErrorDoc =
        ErrorDoc::new(422, "`validation_failed`: the `id` in the path is not a UUID.");
}
