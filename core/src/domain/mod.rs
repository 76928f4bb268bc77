//! Domain types: validated values, the entities they make up, and pure rules.

pub mod events;
pub mod idempotency;
pub mod ids;
pub mod money;
pub mod order;
pub mod pagination;
pub mod placing;
pub mod pricing;
pub mod product;
pub mod quantity;
pub mod time;
pub mod user;
pub mod validation;
pub mod webhooks;

pub use events::{Event, EventRetention, EventSubject, EventType, FeedEvent, FeedPage, FeedPosition};
pub use idempotency::{IdempotencyKey, IdempotencyRecord, RecordedOutcome, RequestFingerprint};
pub use ids::{DeliveryId, EventId, OrderId, ProductId, UserId, WebhookId, WorkerId};
pub use money::{Currency, Money};
pub use order::{Order, OrderItems, OrderLine, OrderRequestLine, OrderStatus, Refusal};
pub use pagination::{Cursor, Limit, Page, PageRequest};
pub use placing::{Decision, OrderContext, OrderRequest, ProductState};
pub use pricing::{PriceOverflow, Totals};
pub use product::{Price, Product, ProductChanges, ProductName, RestockQuantity, Sku, Stock};
pub use quantity::Quantity;
pub use time::Timestamp;
pub use user::{Email, FullName, Password, PasswordHash, Role, Tier, User};
pub use validation::{FieldError, Invalid, Violations};
pub use webhooks::{
    AttemptResult, DeliveryAttempt, Endpoint, EventTypes, RetrySchedule, Webhook, WebhookSecret, WebhookStatus,
    WebhookUrl,
};
