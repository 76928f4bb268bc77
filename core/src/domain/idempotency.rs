//! Idempotent order placement: the client's [`IdempotencyKey`], the
//! [`RequestFingerprint`] that tells a retry from a different request under the same
//! key, and what is remembered of the first outcome.

use super::ids::OrderId;
use super::order::{OrderItems, Refusal};
use super::validation::{Invalid, char_count_within};
use sha2::{Digest, Sha256};

/// A client-chosen key: 1 to 255 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        char_count_within(raw, 1, 255, "Idempotency-Key")?;
        if raw.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new("Idempotency-Key may contain only printable ASCII characters"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A digest of what was asked (each line's product and quantity, in order): equal
/// fingerprints mean the same request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestFingerprint(String);

impl RequestFingerprint {
    pub fn of(items: &OrderItems) -> Self {
        let mut hasher = Sha256::new();
        for line in items.lines() {
            hasher.update(line.product_id.as_uuid().as_bytes());
            hasher.update(line.quantity.units().to_be_bytes());
        }
        Self(format!("{:x}", hasher.finalize()))
    }

    /// A fingerprint as stored by an adapter.
    pub fn from_stored(hex: impl Into<String>) -> Self {
        Self(hex.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How the first request under a key ended, as remembered for its retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordedOutcome {
    Placed(OrderId),
    Refused(Refusal),
}

/// What is remembered under a user's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub fingerprint: RequestFingerprint,
    pub outcome: RecordedOutcome,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ProductId;
    use uuid::Uuid;

    #[test]
    fn key_is_1_to_255_printable_ascii_characters() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        for bad in ["", "tab\there", "é", &"k".repeat(256)] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn fingerprints_differ_exactly_when_the_request_differs() {
        let (a, b) = (ProductId::from_uuid(Uuid::from_u128(1)), ProductId::from_uuid(Uuid::from_u128(2)));
        let fp = |raw: &[(ProductId, i64)]| RequestFingerprint::of(&OrderItems::parse(raw).unwrap());
        assert_eq!(fp(&[(a, 1), (b, 2)]), fp(&[(a, 1), (b, 2)]));
        assert_ne!(fp(&[(a, 1), (b, 2)]), fp(&[(a, 2), (b, 2)]));
        assert_ne!(fp(&[(a, 1), (b, 2)]), fp(&[(b, 2), (a, 1)]));
        assert_ne!(fp(&[(a, 1)]), fp(&[(a, 1), (b, 1)]));
    }
}
