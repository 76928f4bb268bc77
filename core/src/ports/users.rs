//! Where users are kept.

use super::BackendError;
use crate::domain::{Email, PasswordHash, Role, Tier, User, UserId};
use async_trait::async_trait;

/// Why a user could not be added.
#[derive(Debug, thiserror::Error)]
pub enum InsertUserError {
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// A change of what a user pays and may do; `None` leaves it as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccessChange {
    pub tier: Option<Tier>,
    pub role: Option<Role>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Adds `user`. MUST return `EmailTaken` if a user with the same (lower-cased)
    /// email exists, even when two inserts race; `Backend` for anything else.
    async fn insert(&self, user: &User) -> Result<(), InsertUserError>;

    /// The user with this id, `None` if there is none; `Backend` on failure.
    async fn by_id(&self, id: UserId) -> Result<Option<User>, BackendError>;

    /// The user with this email, `None` if there is none; `Backend` on failure.
    async fn by_email(&self, email: &Email) -> Result<Option<User>, BackendError>;

    /// Applies `change` and returns the user as it now is, `None` if there is no such
    /// user; `Backend` on failure.
    async fn change_access(&self, id: UserId, change: AccessChange) -> Result<Option<User>, BackendError>;

    /// Replaces the password hash of user `id` by `new` if it is still `old` (else, or
    /// with no such user, changes nothing); `Backend` on failure.
    async fn replace_password_hash(
        &self,
        id: UserId,
        old: &PasswordHash,
        new: &PasswordHash,
    ) -> Result<(), BackendError>;
}
