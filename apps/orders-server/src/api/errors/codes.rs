//! Every answer the API gives when it fails, as one row each: the HTTP status, the
//! stable `code` clients branch on, what the spec says it means, and the headers that
//! come with it. The tables in [`tables`](super::tables) say which error gets which row;
//! nothing else in the server picks a status or a code.
//!
//! Several rows may share a `code` when they are different causes an operation
//! documents separately (a restock refused for the stock it would add up to is
//! `validation_failed`, as a malformed field is).

use super::super::problem::Problem;
use poem::http::{HeaderName, StatusCode};

/// One row of the error table.
#[derive(Debug)]
pub struct Code {
    pub status: u16,
    pub code: &'static str,
    /// What it means, as the spec documents it.
    pub doc: &'static str,
    /// When set, every answer of this row says this instead of the error's own
    /// message: a 5xx never shows its cause.
    pub detail: Option<&'static str>,
    pub headers: &'static [HeaderDoc],
}

/// A header that answers of a row carry.
#[derive(Debug)]
pub struct HeaderDoc {
    pub name: &'static str,
    pub description: &'static str,
    /// `true` for an integer (`Retry-After` in seconds), `false` for a string.
    pub integer: bool,
    /// Whether every answer of the row carries it.
    pub required: bool,
    /// Its value, when it is the same on every answer of the row.
    pub value: Option<&'static str>,
}

impl HeaderDoc {
    pub fn header_name(&self) -> HeaderName {
        HeaderName::from_bytes(self.name.as_bytes()).expect("every documented header has a valid name")
    }
}

impl Code {
    /// A row whose answers say the error's own message and carry no header.
    pub const fn new(status: u16, code: &'static str, doc: &'static str) -> Self {
        Self { status, code, doc, detail: None, headers: &[] }
    }

    /// The row, with every answer saying `detail` instead of the error's message.
    pub const fn hiding_the_cause(self, detail: &'static str) -> Self {
        Self { detail: Some(detail), ..self }
    }

    pub const fn with_headers(self, headers: &'static [HeaderDoc]) -> Self {
        Self { headers, ..self }
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).expect("every row has a valid status")
    }

    /// The answer of this row: its status and code, `detail` (unless the row fixes
    /// its own), and the headers whose value the row fixes.
    pub fn problem(&'static self, detail: String) -> Problem {
        let detail = self.detail.map_or(detail, str::to_owned);
        self.headers.iter().fold(Problem::new(self.status_code(), self.code, detail), |problem, header| {
            match header.value {
                Some(value) => problem.with_header(header.header_name(), value),
                None => problem,
            }
        })
    }
}

/// Seconds a client is asked to wait before trying again, where that is fixed.
const RETRY_AFTER_ONE_SECOND: HeaderDoc = HeaderDoc {
    name: "Retry-After",
    description: "Seconds to wait before trying again.",
    integer: true,
    required: true,
    value: Some("1"),
};

const RETRY_AFTER_WINDOW: HeaderDoc = HeaderDoc {
    name: "Retry-After",
    description: "Seconds until the limit's window ends and a request like this one is accepted again.",
    integer: true,
    required: true,
    value: None,
};

const WWW_AUTHENTICATE: HeaderDoc = HeaderDoc {
    name: "WWW-Authenticate",
    description: "Always `Bearer`.",
    integer: false,
    required: true,
    value: Some("Bearer"),
};

/// On a refused `placeOrder`, the mark of an answer given again for a retried key.
pub const IDEMPOTENCY_REPLAYED: HeaderDoc = HeaderDoc {
    name: "Idempotency-Replayed",
    description: "`true` when this is the answer to an earlier request with the same `Idempotency-Key`, given again.",
    integer: false,
    required: false,
    value: None,
};

pub static MALFORMED_REQUEST: Code = Code::new(
    400,
    "malformed_request",
    "the body is not well-formed: JSON that does not parse, a form that does not decode, or no body at all.",
);

pub static UNAUTHENTICATED: Code = Code::new(
    401,
    "unauthenticated",
    "the `Authorization: Bearer` token is missing, malformed, expired, or names no user.",
)
.with_headers(&[WWW_AUTHENTICATE]);

pub static INVALID_CREDENTIALS: Code = Code::new(
    401,
    "invalid_credentials",
    "the e-mail or the password is wrong (the same answer for both, and it counts towards throttling).",
)
.with_headers(&[WWW_AUTHENTICATE]);

pub static FORBIDDEN: Code = Code::new(403, "forbidden", "only an admin may do this.");

pub static OTHER_USERS_ORDERS: Code =
    Code::new(403, "forbidden", "a customer asked for another user's orders with `user_id`.");

pub static NOT_FOUND: Code = Code::new(404, "not_found", "there is nothing at this path.");

pub static USER_NOT_FOUND: Code = Code::new(404, "user_not_found", "no user has this id.");

pub static PRODUCT_NOT_FOUND: Code = Code::new(404, "product_not_found", "no product has this id.");

pub static ORDERED_PRODUCT_NOT_FOUND: Code = Code::new(
    404,
    "product_not_found",
    "a product of the order does not exist; `product_id` (and `detail`) name the first missing one in the \
     order's line order. Nothing was placed.",
)
.with_headers(&[IDEMPOTENCY_REPLAYED]);

pub static ORDER_NOT_FOUND: Code =
    Code::new(404, "order_not_found", "no order has this id, or it is another user's (exactly the same answer).");

pub static WEBHOOK_NOT_FOUND: Code = Code::new(404, "not_found", "no webhook has this id.");

pub static DELIVERY_NOT_FOUND: Code =
    Code::new(404, "not_found", "no webhook has this id, or it has no delivery with this id.");

pub static METHOD_NOT_ALLOWED: Code =
    Code::new(405, "method_not_allowed", "this path does not take this method; `Allow` lists those it takes.");

pub static EMAIL_TAKEN: Code =
    Code::new(409, "email_taken", "a user with this e-mail address (compared case-insensitively) exists.");

pub static SKU_TAKEN: Code = Code::new(409, "sku_taken", "a product with this sku exists.");

pub static OUT_OF_STOCK: Code = Code::new(
    409,
    "out_of_stock",
    "a line asks for more than is in stock; `product_id`, `requested` and `available` say which and how \
     many. Nothing was placed.",
)
.with_headers(&[IDEMPOTENCY_REPLAYED]);

pub static IDEMPOTENCY_KEY_IN_USE: Code = Code::new(
    409,
    "idempotency_key_in_use",
    "a request with the same `Idempotency-Key` is still being processed; retry after `Retry-After` seconds.",
)
.with_headers(&[RETRY_AFTER_ONE_SECOND]);

pub static ORDER_NOT_CANCELLABLE: Code = Code::new(409, "order_not_cancellable", "the order is already cancelled.");

pub static PAYLOAD_TOO_LARGE: Code = Code::new(413, "payload_too_large", "the body is over 64 KiB.");

pub static UNSUPPORTED_MEDIA_TYPE: Code =
    Code::new(415, "unsupported_media_type", "the `Content-Type` is missing or not the one this operation takes.");

pub static VALIDATION_FAILED: Code = Code::new(
    422,
    "validation_failed",
    "a value is refused; `errors` names each refused field: a path into the body (`items[0].quantity`), \
     or the name of a path, query or header parameter. Well-formed JSON of the wrong shape (a missing field, \
     a string for a number) is refused this way too.",
);

pub static STOCK_LIMIT: Code =
    Code::new(422, "validation_failed", "`quantity` would raise the stock past 10^9; nothing changed.");

pub static ORDER_TOO_LARGE: Code = Code::new(
    422,
    "validation_failed",
    "the order's total does not fit in 64-bit cents (`errors` names `items`). Nothing was placed.",
)
.with_headers(&[IDEMPOTENCY_REPLAYED]);

pub static WEBHOOK_TARGET_REFUSED: Code = Code::new(
    422,
    "validation_failed",
    "deliveries may not go to `url` (`errors` names `url`): it is not `https`, or its host is, or resolves to, a \
     loopback, private, link-local or unspecified address, or does not resolve. Nothing was added.",
);

pub static IDEMPOTENCY_KEY_REUSED: Code =
    Code::new(422, "idempotency_key_reused", "this `Idempotency-Key` was used before with a different body.");

pub static TOO_MANY_ATTEMPTS: Code = Code::new(
    429,
    "too_many_attempts",
    "5 logins for this e-mail were checked within 15 minutes of the first and none succeeded; every login \
     for it, even with the right password, is refused until `Retry-After` seconds have passed.",
)
.with_headers(&[RETRY_AFTER_WINDOW]);

pub static TOO_MANY_FROM_ADDRESS: Code = Code::new(
    429,
    "too_many_attempts",
    "too many attempts from your address: failed logins (100 per 15 minutes by default) or sign-ups (100 per \
     hour by default); refused until `Retry-After` seconds have passed.",
)
.with_headers(&[RETRY_AFTER_WINDOW]);

pub static INTERNAL_ERROR: Code =
    Code::new(500, "internal_error", "the server failed; the cause is logged, not shown.")
        .hiding_the_cause("the server failed to answer; this was logged");

pub static SERVICE_UNAVAILABLE: Code = Code::new(
    503,
    "service_unavailable",
    "the database cannot be reached or refuses writes for now (read-only or full), or the server is saturated (its \
     database connections, or on logins and \
         registrations its password checks); try again later.",
)
.hiding_the_cause("the service cannot serve this request right now; try again shortly")
.with_headers(&[RETRY_AFTER_ONE_SECOND]);

pub static NOT_READY: Code = Code::new(503, "not_ready", "the database does not answer.")
    .hiding_the_cause("the database does not answer")
    .with_headers(&[RETRY_AFTER_ONE_SECOND]);
