//! Identifiers: UUIDv7 newtypes, time-ordered, so sorting by id sorts by creation.

use std::fmt;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered (UUIDv7) id.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// Identifies a [`User`](super::User).
    UserId
);
uuid_id!(
    /// Identifies a [`Product`](super::Product).
    ProductId
);
uuid_id!(
    /// Identifies an [`Order`](super::Order).
    OrderId
);
uuid_id!(
    /// Identifies an [`Event`](super::Event) of the outbox.
    EventId
);
uuid_id!(
    /// Identifies a [`Webhook`](super::Webhook) endpoint.
    WebhookId
);
uuid_id!(
    /// Identifies one [`DeliveryAttempt`](super::DeliveryAttempt) of an event to a webhook.
    DeliveryId
);
uuid_id!(
    /// Identifies one server process delivering webhooks, as the holder of its leases.
    WorkerId
);
