//! Webhook deliveries over HTTP: [`HttpWebhookSender`], core's
//! [`WebhookSender`](orders_core::ports::WebhookSender), with Standard Webhooks
//! signatures ([`signature`]) and the rules on where a delivery may go ([`targets`]).

mod background;
mod measured;
mod sender;
pub mod signature;
pub mod targets;

pub use background::lowered_runtime;
pub use measured::{WEBHOOK_DELIVERIES, WEBHOOK_DELIVERY_LAG};
pub use sender::HttpWebhookSender;
