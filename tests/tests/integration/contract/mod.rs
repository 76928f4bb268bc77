//! The HTTP contract (docs/contract.md), over the application in process: each case on
//! a fresh SQLite database of its own.

mod auth;
mod events;
mod orders;
mod products;
mod protocol;
mod users;
mod webhooks;
