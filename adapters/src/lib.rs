//! Adapters: orders-core's ports implemented for the outside world.
//!
//! - [`memory`]: every storage port in process memory (`memory://`).
//! - [`sql`]: every storage port on SeaORM, for SQLite (`sqlite://`) and PostgreSQL
//!   (`postgres://`), with its migrations.
//! - [`passwords`], [`tokens`], [`clock`]: argon2id hashing, HS256 JWTs, the system clock.
//! - [`webhooks`]: webhook deliveries over HTTP, signed (Standard Webhooks), to allowed
//!   targets only.
//! - [`Store`]: opens whichever store a URL names ([`StoreOptions`]) and hands out
//!   core's [`Ports`](orders_core::usecases::Ports) on it; the app that composes the
//!   process chooses the [`OutsidePorts`].

pub mod clock;
pub mod memory;
pub mod passwords;
pub mod sql;
mod store;
mod store_options;
pub mod tokens;
pub mod webhooks;

pub use sql::POOL_ACQUIRE_SECONDS;
pub use store::{OpenStoreError, OutsidePorts, PoolUsage, Store};
pub use store_options::StoreOptions;
