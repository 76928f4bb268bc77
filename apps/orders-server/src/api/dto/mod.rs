//! The API's request and response bodies, and their conversions to and from core's
//! types. Requests become core values only through core's own parsers
//! (`try_into_domain`), so every rule about a value lives in core. The
//! `#[oai(validator(...))]` on body fields and the types of [`documented`] only tell the
//! spec those rules (bodies are parsed by serde, see `body.rs`); the OpenAPI contract test
//! checks that each documented bound is exactly core's.

pub mod auth;
pub mod documented;
pub mod events;
pub mod health;
pub mod orders;
pub mod pages;
pub mod products;
pub mod users;
pub mod webhooks;
