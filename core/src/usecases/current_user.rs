//! Who a request is from: the id a valid access token names, and the user with that
//! id as stored now (for use cases that act on the caller's current rights; placing an
//! order has the store check the customer's tier as it places the order instead).

use super::Service;
use crate::domain::{User, UserId};
use crate::ports::BackendError;

#[derive(Debug, thiserror::Error)]
pub enum CurrentUserError {
    /// The token is missing, malformed, forged, expired, or names no user.
    #[error("a valid access token is required")]
    Unauthenticated,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Service {
    /// The user with the id a token named, read from the store (so tier and role are
    /// current); `Unauthenticated` if they no longer exist.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn current_user(&self, id: UserId) -> Result<User, CurrentUserError> {
        self.ports.users.by_id(id).await?.ok_or(CurrentUserError::Unauthenticated)
    }

    /// The id of the user `token` was issued to, if the token is valid now; the store
    /// is not read, so the user may have vanished since.
    pub fn token_subject(&self, token: &str) -> Result<UserId, CurrentUserError> {
        let now = self.ports.clock.now();
        self.ports.tokens.verify(token, now).map_err(|_| CurrentUserError::Unauthenticated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, Tier};
    use crate::ports::InvalidToken;
    use crate::usecases::test_support::*;

    #[tokio::test]
    async fn the_current_user_is_read_from_the_store() {
        let mut ports = MockPorts::new();
        let ada = user(Tier::Premium, Role::Customer);
        let stored = ada.clone();
        ports.users.expect_by_id().returning(move |_| Ok(Some(stored.clone())));
        assert_eq!(ports.service().current_user(ada.id).await.unwrap(), ada);
    }

    #[test]
    fn a_valid_token_names_its_subject_without_reading_the_store() {
        let mut ports = MockPorts::new();
        let id = user(Tier::Standard, Role::Customer).id;
        ports.tokens.expect_verify().returning(move |_, _| Ok(id));
        ports.users.expect_by_id().times(0);
        assert_eq!(ports.service().token_subject("jwt").unwrap(), id);

        let mut ports = MockPorts::new();
        ports.tokens.expect_verify().returning(|_, _| Err(InvalidToken));
        assert!(matches!(ports.service().token_subject("x"), Err(CurrentUserError::Unauthenticated)));
    }

    #[tokio::test]
    async fn a_vanished_user_is_unauthenticated() {
        let mut ports = MockPorts::new();
        ports.users.expect_by_id().returning(|_| Ok(None));
        let id = user(Tier::Standard, Role::Customer).id;
        assert!(matches!(ports.service().current_user(id).await, Err(CurrentUserError::Unauthenticated)));
    }
}
