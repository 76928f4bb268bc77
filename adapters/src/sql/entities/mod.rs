//! SeaORM entities: one per table, rows as they are stored. Conversion to and from
//! domain types lives in `convert.rs`.

pub mod event;
pub mod idempotency_key;
pub mod login_attempt;
pub mod order;
pub mod order_line;
pub mod product;
pub mod user;
pub mod webhook;
pub mod webhook_delivery;
pub mod webhook_retry;
