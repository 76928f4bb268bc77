//! What wraps every request, API or not, in one pass ([`serve`]): its id, the body
//! size limit, problem details for the errors poem raises outside the handlers, a
//! panic's `500`, one log line per request, and with traces on, its server span.

mod body_limit;
mod pipeline;
mod request_id;
mod request_log;
mod routes;
mod trace;

pub use body_limit::{MAX_BODY_BYTES, limit_body};
pub use pipeline::{Pipeline, serve};
pub use request_id::{RequestId, X_REQUEST_ID};
pub use request_log::Observed;
pub use routes::{RouteId, Routes};

/// The route of a path no operation matches, in logs, metrics and traces.
pub const UNMATCHED: &str = "unmatched";
