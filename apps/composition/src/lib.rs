//! The composition root the binaries (and the tests that run them in process) share:
//! core's use cases over a store, with argon2id password hashing, the system clock,
//! webhook deliveries over HTTP and the token issuer the caller configured. Switching
//! an adapter happens here and nowhere else.

use orders_adapters::clock::SystemClock;
use orders_adapters::passwords::{Argon2Hasher, HashingLimit};
use orders_adapters::webhooks::HttpWebhookSender;
use orders_adapters::webhooks::targets::TargetPolicy;
use orders_adapters::{OutsidePorts, Store};
use orders_core::ports::TokenIssuer;
use orders_core::usecases::{Service, Settings};
use std::sync::Arc;

/// How the adapters that reach outside the store behave.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutsideSettings {
    /// How many password hashes run at once, and how long a request waits for one.
    pub hashing: HashingLimit,
    /// Where webhook deliveries may go.
    pub webhook_targets: TargetPolicy,
}

/// The use cases over `store`, signing and checking tokens with `tokens`.
pub fn service(store: &Store, tokens: Arc<dyn TokenIssuer>, settings: Settings, outside: OutsideSettings) -> Service {
    Service::new(store.ports(outside_ports(tokens, outside)), settings)
}

/// The ports no store provides: argon2id passwords, the system clock, webhook
/// deliveries over HTTP, and `tokens`.
pub fn outside_ports(tokens: Arc<dyn TokenIssuer>, outside: OutsideSettings) -> OutsidePorts {
    OutsidePorts {
        passwords: Arc::new(Argon2Hasher::new(outside.hashing)),
        tokens,
        clock: Arc::new(SystemClock),
        webhook_sender: Arc::new(HttpWebhookSender::new(outside.webhook_targets)),
    }
}

/// The use cases as [`service`] makes them, but with catalogue reads (a product, a page
/// of products) served by `catalogue`, a store on a replica of `store`'s database.
pub fn service_with_catalogue(
    store: &Store,
    catalogue: &Store,
    tokens: Arc<dyn TokenIssuer>,
    settings: Settings,
    outside: OutsideSettings,
) -> Service {
    let mut ports = store.ports(outside_ports(tokens, outside));
    ports.catalogue = catalogue.catalogue();
    Service::new(ports, settings)
}
