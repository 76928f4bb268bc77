//! The store behaviour suite ([`orders_tests::store_suite`]) on every store, and what
//! only PostgreSQL does: waits, timeouts, outages.

mod memory;
mod outage;
mod pgbouncer;
mod postgres;
mod postgres_serializable;
mod sqlite;
