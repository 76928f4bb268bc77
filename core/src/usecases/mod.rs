//! The use cases: one file each, each with its own error enum. They are methods of
//! [`Service`], which holds the ports; HTTP and the CLI call the same methods.

mod actor;
mod authenticate;
mod cancel_order;
mod create_product;
mod current_user;
mod deliver_webhooks;
mod find_user;
mod get_order;
mod get_product;
mod list_events;
mod list_orders;
mod list_products;
mod manage_webhooks;
mod place_order;
mod purge_idempotency_keys;
mod register;
mod restock_product;
mod update_product;
mod update_user;
mod webhook_deliveries;

#[cfg(test)]
mod test_support;

pub use actor::Actor;
pub use authenticate::{AuthenticateError, LOGIN_FAILURE_LIMIT, LOGIN_FAILURE_WINDOW};
pub use cancel_order::CancelOrderError;
pub use create_product::{CreateProductError, NewProduct};
pub use current_user::CurrentUserError;
pub use deliver_webhooks::{DELIVERY_LEASE, FRESH_BATCH, Present, RETRY_BATCH};
pub use find_user::FindUserError;
pub use get_order::GetOrderError;
pub use get_product::GetProductError;
pub use list_events::ListEventsError;
pub use list_orders::ListOrdersError;
pub use manage_webhooks::{CreateWebhookError, CreatedWebhook, DeleteWebhookError, ListWebhooksError, NewWebhook};
pub use place_order::{PlaceOrderError, Placed};
pub use purge_idempotency_keys::IDEMPOTENCY_KEY_LIFETIME;
pub use register::{CreateUserError, RegisterError, Registration};
pub use restock_product::RestockError;
pub use update_product::UpdateProductError;
pub use update_user::UpdateUserError;
pub use webhook_deliveries::{ListDeliveriesError, RetryDeliveryError};

use crate::domain::{Currency, EventRetention, RetrySchedule};
use crate::ports::{
    Clock, EventFeed, IdempotencyStore, LoginAttempts, OrderStore, PasswordHasher, ProductStore, TokenIssuer,
    UserStore, WebhookSender, WebhookStore,
};
use std::sync::Arc;

/// Everything the use cases need from the outside world.
#[derive(Clone)]
pub struct Ports {
    pub users: Arc<dyn UserStore>,
    pub products: Arc<dyn ProductStore>,
    /// Where catalogue reads are served from: a product by id and pages of products, as
    /// anyone browses them. Either `products` itself or a copy of it that may lag behind
    /// (a replica), so it serves no read that must see a write just made: every other
    /// read, product edits' included, uses `products`.
    pub catalogue: Arc<dyn ProductStore>,
    pub orders: Arc<dyn OrderStore>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub login_attempts: Arc<dyn LoginAttempts>,
    pub events: Arc<dyn EventFeed>,
    pub webhooks: Arc<dyn WebhookStore>,
    pub webhook_sender: Arc<dyn WebhookSender>,
    pub passwords: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn TokenIssuer>,
    pub clock: Arc<dyn Clock>,
}

/// Deployment-wide settings the rules depend on.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The currency every price and order is in.
    pub currency: Currency,
    /// How long events are kept at least.
    pub event_retention: EventRetention,
    /// When failed webhook deliveries are tried again.
    pub retry_schedule: RetrySchedule,
}

/// The use cases, wired to their ports. Cheap to clone.
#[derive(Clone)]
pub struct Service {
    ports: Ports,
    settings: Settings,
}

impl Service {
    pub fn new(ports: Ports, settings: Settings) -> Self {
        Self { ports, settings }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }
}
