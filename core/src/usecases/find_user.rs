//! Looking a user up by email: admins only (the operator's CLI names users this way).

use super::{Actor, Service};
use crate::domain::{Email, User};
use crate::ports::BackendError;

#[derive(Debug, thiserror::Error)]
pub enum FindUserError {
    #[error("only an admin may look users up")]
    Forbidden,
    #[error("no user has this email")]
    NotFound,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Service {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn find_user(&self, actor: &Actor, email: &Email) -> Result<User, FindUserError> {
        if !actor.is_admin() {
            return Err(FindUserError::Forbidden);
        }
        self.ports.users.by_email(email).await?.ok_or(FindUserError::NotFound)
    }
}
