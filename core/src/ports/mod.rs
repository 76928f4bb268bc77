//! Ports: what the use cases need from the outside world, as traits that adapters
//! implement. Each method's rustdoc says what it returns on each failure. With the
//! `mocks` feature (and in this crate's tests) each has a mockall `Mock*` double.

mod clock;
mod error;
mod events;
mod idempotency;
mod login_attempts;
mod orders;
mod passwords;
mod products;
mod tokens;
mod users;
mod webhooks;

pub use clock::Clock;
pub use error::{BackendError, BoxError};
pub use events::EventFeed;
pub use idempotency::{Claim, IdempotencyStore, KeyClaim};
pub use login_attempts::{AttemptCount, LoginAttempts};
pub use orders::{OrderStore, Placement};
pub use passwords::PasswordHasher;
pub use products::{InsertProductError, ProductStore, RestockOutcome};
pub use tokens::{AccessToken, InvalidToken, TokenIssuer};
pub use users::{AccessChange, InsertUserError, UserStore};
pub use webhooks::{
    AfterRetry, ClaimedRetry, FreshLease, Lease, PendingRetry, RetryOutcome, ScheduledRetry, SendOutcome,
    TargetRefused, WebhookMessage, WebhookSender, WebhookStore,
};

#[cfg(any(test, feature = "mocks"))]
pub use {
    clock::MockClock,
    events::MockEventFeed,
    idempotency::MockIdempotencyStore,
    login_attempts::MockLoginAttempts,
    orders::MockOrderStore,
    passwords::MockPasswordHasher,
    products::MockProductStore,
    tokens::MockTokenIssuer,
    users::MockUserStore,
    webhooks::{MockWebhookSender, MockWebhookStore},
};
