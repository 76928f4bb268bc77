//! The composition root the binaries (and the tests that run them in process) share:
//! core's use cases over a store, with argon2id password hashing, the system clock and
//! the token issuer the caller configured. Switching an adapter happens here and
//! nowhere else.

use orders_adapters::clock::SystemClock;
use orders_adapters::passwords::Argon2Hasher;
use orders_adapters::{OutsidePorts, Store};
use orders_core::ports::TokenIssuer;
use orders_core::usecases::{Service, Settings};
use std::sync::Arc;

/// The use cases over `store`, signing and checking tokens with `tokens`.
pub fn service(store: &Store, tokens: Arc<dyn TokenIssuer>, settings: Settings) -> Service {
    Service::new(store.ports(outside_ports(tokens)), settings)
}

/// The ports no store provides: argon2id passwords, the system clock, and `tokens`.
pub fn outside_ports(tokens: Arc<dyn TokenIssuer>) -> OutsidePorts {
    OutsidePorts { passwords: Arc::new(Argon2Hasher::new()), tokens, clock: Arc::new(SystemClock) }
}
