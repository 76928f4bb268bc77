//! What wraps every request, API or not: the body size limit, problem details for the
//! errors poem raises outside the handlers, and one log line per request.

mod allowed_methods;
mod body_limit;
mod problems;
mod request_log;

pub use allowed_methods::AllowedMethods;
pub use body_limit::{MAX_BODY_BYTES, limit_body};
pub use problems::answer_errors_with_problems;
pub use request_log::log_request;
