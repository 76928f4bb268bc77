//! A Rust client of the order service, generated with progenitor from the committed
//! OpenAPI document (`openapi/openapi.json`) each time this crate builds, so a change to
//! the document that the client cannot follow breaks the build.
//!
//! [`Client`] has one method per operation, named after its `operationId` in snake
//! case, in builder style: `client.place_order().idempotency_key("k").body(order).send()`.
//! Bodies and answers are the types of [`types`]; every documented error status answers
//! [`Error::ErrorResponse`] holding the typed [`types::Problem`]. The client sends no
//! token by itself: build it with [`Client::new_with_client`] over a [`reqwest::Client`]
//! whose default headers carry `Authorization: Bearer <token>`.

/// The generated code, whose style is progenitor's.
#[allow(clippy::all)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/client.rs"));
}

pub use generated::*;
/// The reqwest the client is built on, to configure its HTTP client with matching types.
pub use reqwest;
