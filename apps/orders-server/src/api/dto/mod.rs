//! The API's request and response bodies, and their conversions to and from core's
//! types. Requests become core values only through core's own parsers
//! (`try_into_domain`), so every rule about a value lives in core.

pub mod auth;
pub mod health;
pub mod orders;
pub mod pages;
pub mod products;
pub mod users;
