//! Access tokens: issued to a user on login, presented with every request.

use super::BackendError;
use crate::domain::{Timestamp, UserId};

/// A bearer token and how many seconds it is valid for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub token: String,
    pub expires_in_seconds: i64,
}

/// A token that is malformed, forged or expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the access token is not valid")]
pub struct InvalidToken;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenIssuer: Send + Sync {
    /// A token for `user`, valid from `now`. `Backend` if it cannot be signed.
    fn issue(&self, user: UserId, now: Timestamp) -> Result<AccessToken, BackendError>;

    /// The user a token was issued to. MUST return `InvalidToken` for a token that is
    /// malformed, not signed by this issuer, or expired at `now`.
    fn verify(&self, token: &str, now: Timestamp) -> Result<UserId, InvalidToken>;
}
