//! The composition root the binaries (and the tests that run them in process) share:
//! core's use cases over a store, with argon2id password hashing, the system clock and
//! the token issuer the caller configured. Switching an adapter happens here and
//! nowhere else.

use orders_adapters::clock::SystemClock;
use orders_adapters::passwords::{Argon2Hasher, HashingLimit};
use orders_adapters::{OutsidePorts, Store};
use orders_core::ports::TokenIssuer;
use orders_core::usecases::{Service, Settings};
use std::sync::Arc;

/// The use cases over `store`, signing and checking tokens with `tokens`, hashing
/// passwords within `hashing`.
pub fn service(store: &Store, tokens: Arc<dyn TokenIssuer>, settings: Settings, hashing: HashingLimit) -> Service {
    Service::new(store.ports(outside_ports(tokens, hashing)), settings)
}

/// The use cases as [`service`] makes them, but with catalogue reads (a product, a page
/// of products) served by `catalogue`, a store on a replica of `store`'s database.
pub fn service_with_catalogue(
    store: &Store,
    catalogue: &Store,
    tokens: Arc<dyn TokenIssuer>,
    settings: Settings,
    hashing: HashingLimit,
) -> Service {
    let mut ports = store.ports(outside_ports(tokens, hashing));
    ports.catalogue = catalogue.catalogue();
    Service::new(ports, settings)
}

/// The ports no store provides: argon2id passwords within `hashing`, the system
/// clock, and `tokens`.
pub fn outside_ports(tokens: Arc<dyn TokenIssuer>, hashing: HashingLimit) -> OutsidePorts {
    OutsidePorts { passwords: Arc::new(Argon2Hasher::new(hashing)), tokens, clock: Arc::new(SystemClock) }
}
