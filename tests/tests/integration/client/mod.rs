//! The Rust client generated from `openapi/openapi.json` (`orders-client`), driving a
//! real server: every operation reachable, errors typed as `Problem`.

mod orders;
mod products;
mod users;
