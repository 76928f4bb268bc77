//! The HTTP API: one file per resource, declared with poem-openapi so that the OpenAPI
//! document is generated from the code that serves it.
//!
//! - [`health`], [`users`], [`auth`], [`products`], [`orders`], [`events`],
//!   [`webhooks`]: the operations.
//! - [`dto`]: request and response bodies and their conversions to core's types.
//! - [`errors`]: the error table: every error's status and `code`, which drives both
//!   the answer and the errors each operation documents.
//! - [`problem`]: the problem-details body.
//! - [`security`]: bearer JWT and OAuth2 password-flow authentication, one extractor.
//! - [`body`]: JSON and form bodies that name the refused field; [`answer`]: JSON
//!   answers written by serde.
//! - [`client_address`], [`address_limits`]: who a request comes from, and the limits
//!   on failed logins and sign-ups per address.
//! - [`idempotency_key`]: the `Idempotency-Key` header, read as it was sent.

pub mod address_limits;
pub mod answer;
pub mod auth;
pub mod body;
pub mod client_address;
pub mod cursors;
pub mod dto;
pub mod errors;
pub mod events;
pub mod health;
pub mod idempotency_key;
pub mod orders;
pub mod problem;
pub mod products;
pub mod security;
pub mod users;
pub mod webhooks;

#[cfg(test)]
mod spec_tests;

use address_limits::AddressLimits;
use cursors::CursorKey;
use orders_adapters::Store;
use orders_adapters::memory::MemoryStore;
use orders_adapters::tokens::JwtIssuer;
use orders_core::usecases::{Service, Settings};
use poem_openapi::{OpenApiService, Tags};
use std::sync::Arc;
use std::time::Duration;

/// The API contract's version: what `openapi/openapi.json` describes.
pub const API_VERSION: &str = "1.0.0";

#[derive(Tags)]
pub enum ApiTags {
    /// Placing, reading, listing and cancelling orders.
    Orders,
    /// Signing up, your account, and (admins) users' tier and role.
    Users,
    /// Logging in.
    Auth,
    /// The catalogue: browsing, and (admins) adding, editing and restocking products.
    Products,
    /// Whether the service is alive and ready.
    Health,
    /// The event feed (admins): everything that happened, in commit order, with long polling.
    Events,
    /// Webhook endpoints (admins): signed deliveries of the events they subscribe to.
    Webhooks,
}

/// Every operation of the API.
pub type Api = (
    health::HealthApi,
    users::UsersApi,
    auth::AuthApi,
    products::ProductsApi,
    orders::OrdersApi,
    events::EventsApi,
    webhooks::WebhooksApi,
);

/// The API served over `service`, with `store` answering readiness, cursors signed
/// with `cursors`, guessing limited per client address by `limits`, and requests for
/// the event feed waiting at most `longest_wait` for an event.
pub fn openapi_service(
    service: Service,
    store: Store,
    cursors: CursorKey,
    limits: Arc<AddressLimits>,
    longest_wait: Duration,
) -> OpenApiService<Api, ()> {
    let api = (
        health::HealthApi { store },
        users::UsersApi { service: service.clone(), limits: limits.clone() },
        auth::AuthApi { service: service.clone(), limits },
        products::ProductsApi { service: service.clone(), cursors: cursors.clone() },
        orders::OrdersApi { service: service.clone(), cursors: cursors.clone() },
        events::EventsApi {
            service: service.clone(),
            cursors: cursors.clone(),
            feed: crate::feed_watch::FeedWatch::new(service.clone(), longest_wait),
        },
        webhooks::WebhooksApi { service, cursors },
    );
    OpenApiService::new(api, "Order service", API_VERSION).description(DESCRIPTION)
}

/// The API over a throwaway in-memory store: enough to generate the OpenAPI document,
/// which does not depend on the store.
pub fn spec_service() -> OpenApiService<Api, ()> {
    let store = Store::Memory(MemoryStore::new());
    let tokens = Arc::new(JwtIssuer::with_random_secret(chrono::TimeDelta::hours(1)));
    let service = orders_composition::service(&store, tokens, Settings::default(), Default::default());
    let cursors = CursorKey::derive(b"the spec signs no cursor");
    openapi_service(service, store, cursors, Arc::new(AddressLimits::none()), Duration::ZERO)
}

const DESCRIPTION: &str = "\
Users, a product catalogue with stock, and orders that take stock atomically.

**Conventions.** JSON bodies in UTF-8; unknown members of a request body are ignored, and an \
optional member is left out to leave it unset (`null` is refused, like any value of the wrong type). Ids are \
UUIDv7 strings (time-ordered). Timestamps are RFC 3339 in UTC. Money is an integer count of \
cents in fields ending `_cents`, in the one currency of the deployment (`currency` on orders).

**Errors** are RFC 9457 problem details, sent as `application/problem+json` (declared under \
`application/json` too, so that generated clients type them): `{type, title, status, detail, \
code, instance}`, where `code` is a stable snake_case string, `type` is `about:blank`, and \
`instance` is `urn:request:<id>` naming the request. Every error has \
this shape, unknown routes (`404 not_found`), wrong methods (`405 method_not_allowed`, with \
`Allow`), bodies over 64 KiB (`413 payload_too_large`) and requests the HTTP layer cannot read \
included: not well-formed HTTP (`400 malformed_request`), a URI over 64 KiB (`414 uri_too_long`), a \
head over about 400 KiB or 100 headers (`431 headers_too_large`), a head or body that stops arriving \
(`408 request_timeout`); after these four the connection is closed. Body that is not \
well-formed JSON: `400 malformed_request`. Well-formed request with a bad value, a missing \
field, a value of the wrong JSON type, or a path id that is not a UUID: `422 \
validation_failed`, with `errors: [{field, message}]` naming each refused field by its path \
(`items[0].quantity`). Missing or wrong `Content-Type` on a body: `415 \
unsupported_media_type`. Failures of the service: `500 internal_error`, or `503 \
service_unavailable` with `Retry-After` when the database cannot be reached or refuses writes for now \
(read-only or full); neither shows \
internals. An admin-only operation checks the body (`400`, `422`) before the caller's role \
(`403`).

**Request ids.** Send `X-Request-Id` (1 to 128 printable ASCII characters) to name a request; \
without one, or with one that does not fit, the server makes one (a UUIDv7). Every response \
carries the id in `X-Request-Id`, every problem quotes it in `instance`, and the server's log \
lines for the request carry it: quote it when reporting a problem.

**Authentication.** Get a token from `POST /v1/auth/token` (OAuth2 password grant: e-mail as \
`username`) and send `Authorization: Bearer <token>`. Missing or bad token: `401 \
unauthenticated` with `WWW-Authenticate: Bearer`. Authenticated but not an admin on an admin \
operation: `403 forbidden`. Another user's order answers `404`, exactly as if it did not exist. \
Tier and role are read on every request, so a change applies at once, to tokens already issued \
too.

**Lists** take `?limit=` (1 to 100, default 20) and `?cursor=` (the opaque `next_cursor` of \
the previous page) and answer `{items, next_cursor}`, `next_cursor` being `null` on the last \
page. Products are listed oldest first, orders newest first; rows added between pages cause \
neither duplicates nor gaps.

**Placing an order** follows the rules of the contract: every product must exist (`404 \
product_not_found`, naming the first missing one), every line must be in stock (`409 \
out_of_stock`), premium users get 10% off rounded half up, and it is all or nothing. It is \
idempotent under an `Idempotency-Key` header: see `placeOrder`.

**Events and webhooks** (admins). Every change to orders and products records an event in the \
same transaction (`order.placed`, `order.cancelled`, `product.created`, `product.updated`, \
`product.restocked`, `product.out_of_stock`), whose `data` is the resource as this API answers \
it. `listEvents` is a feed, not a list: it has no last page, `next_cursor` is never `null`, and \
`wait` long-polls for the next event; followed cursor to cursor it shows every event once, in \
commit order. `createWebhook` has the events of the types it names `POST`ed to an `https` URL, \
signed as the Standard Webhooks specification says, at least once, retried for 24 hours.";
