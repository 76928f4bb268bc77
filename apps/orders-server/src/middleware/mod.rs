//! What wraps every request, API or not: its id, the body size limit, problem details
//! for the errors poem raises outside the handlers, one log line per request, and with
//! traces on, its server span.

mod body_limit;
mod problems;
mod request_id;
mod request_log;
mod routes;
mod trace;

pub use body_limit::{MAX_BODY_BYTES, limit_body};
pub use problems::answer_errors_with_problems;
pub use request_id::{RequestId, X_REQUEST_ID};
pub use request_log::{Observed, log_request};
pub use routes::{RouteId, Routes};

/// The route of a path no operation matches, in logs, metrics and traces.
pub const UNMATCHED: &str = "unmatched";
