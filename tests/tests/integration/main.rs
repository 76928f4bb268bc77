//! Every cross-crate test, in one binary (zero2prod's `tests/api/main.rs` layout): one
//! link instead of one per file. A module per area, named for where the code under test
//! runs:
//!
//! - `contract`: the HTTP contract, over the application called in this process.
//! - `server`: the real `orders-server` process over real sockets: signals, the access
//!   log, limits, outages, two servers sharing one database.
//! - `client`: the Rust client generated from the spec, against a real server.
//! - `cli`: the real `ordersctl`.
//! - `store`: the store behaviour suite on every store, and PostgreSQL outages.
//! - `bench_smoke`: the benchmark end to end (ignored unless asked for).
//! - `failover`: the replicated deployment (`deploy/local-cluster.sh`) losing its
//!   primary under load (ignored unless asked for).
//!
//! A test that needs something from outside Cargo is marked ignored, and counted as
//! such, where it is missing (see `build.rs`): `postgres_server` when
//! `ORDERS_TEST_POSTGRES_URL` names no server, `postgres_programs` when PostgreSQL's
//! `initdb` and `pg_ctl` are not installed. `ORDERS_REQUIRE_POSTGRES=1` runs them
//! whatever is found, so that what is missing fails them.

mod bench_smoke;
mod cli;
mod client;
mod contract;
mod failover;
mod server;
mod store;
