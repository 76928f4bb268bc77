//! Shared helpers of the cross-crate tests in `tests/tests/integration/`: the API
//! reached in process ([`app`]) or over a real server ([`server`]) with the same request
//! helpers ([`api`]), the real binaries, stores, PostgreSQL servers of the tests' own
//! ([`tools`] finds PostgreSQL's programs), an OTLP collector double ([`collector`]), and
//! the store behaviour suite.

pub mod api;
pub mod app;
pub mod binaries;
pub mod cli;
pub mod client;
pub mod cluster;
pub mod collector;
pub mod event_suite;
pub mod postgres_server;
pub mod receiver;
pub mod server;
pub mod store_suite;
pub mod stores;
pub mod tools;
