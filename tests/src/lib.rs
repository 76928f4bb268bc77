//! Shared helpers of the cross-crate tests in `tests/tests/`: finding the real
//! binaries, starting stores and servers, and the store behaviour suite.

pub mod binaries;
pub mod cli;
pub mod client;
pub mod postgres_server;
pub mod server;
pub mod store_suite;
pub mod stores;
