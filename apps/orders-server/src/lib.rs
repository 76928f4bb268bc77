//! The order service over HTTP: Poem and poem-openapi wired to orders-core's use cases.
//! Parsing, the mapping of errors to statuses and configuration live here; every rule
//! lives in core.
//!
//! - [`config`]: settings from flags and the environment.
//! - [`startup`]: open the store, serve, shut down gracefully.
//! - [`app`]: the routes and the middleware around them.
//! - [`api`]: the operations, their bodies, errors and security; [`api::spec_service`]
//!   generates the OpenAPI document.
//! - [`middleware`]: body limit, problem details for poem's errors, request log.
//! - [`metrics`]: Prometheus metrics and the counters of what happened.
//! - [`demo`]: `--demo` data.
//! - [`feed_watch`]: long polling of the event feed.
//! - [`webhook_worker`]: the background task that delivers webhooks.

pub mod api;
pub mod app;
pub mod config;
pub mod connections;
pub mod demo;
pub mod feed_watch;
pub mod metrics;
pub mod middleware;
pub mod refusals;
pub mod startup;
pub mod telemetry;
pub mod webhook_worker;
