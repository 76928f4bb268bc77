//! Changing a user's tier or role: admins only.

use super::{Actor, Service};
use crate::domain::{User, UserId};
use crate::ports::{AccessChange, BackendError};

#[derive(Debug, thiserror::Error)]
pub enum UpdateUserError {
    #[error("only an admin may change a user's tier or role")]
    Forbidden,
    #[error("user not found")]
    NotFound,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Service {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update_user(&self, actor: &Actor, id: UserId, change: AccessChange) -> Result<User, UpdateUserError> {
        if !actor.is_admin() {
            return Err(UpdateUserError::Forbidden);
        }
        self.ports.users.change_access(id, change).await?.ok_or(UpdateUserError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, Tier};
    use crate::usecases::test_support::*;

    #[tokio::test]
    async fn a_customer_is_forbidden_and_nothing_is_written() {
        let ports = MockPorts::new();
        let customer = Actor::User(user(Tier::Standard, Role::Customer));
        let change = AccessChange { tier: Some(Tier::Premium), role: None };
        let result = ports.service().update_user(&customer, customer.user_id().unwrap(), change).await;
        assert!(matches!(result, Err(UpdateUserError::Forbidden)));
    }

    #[tokio::test]
    async fn an_admin_changes_the_tier_of_the_named_user() {
        let mut ports = MockPorts::new();
        let target = user(Tier::Standard, Role::Customer);
        let target_id = target.id;
        let upgraded = User { tier: Tier::Premium, ..target };
        let change = AccessChange { tier: Some(Tier::Premium), role: None };
        ports
            .users
            .expect_change_access()
            .withf(move |id, c| *id == target_id && *c == change)
            .times(1)
            .returning(move |_, _| Ok(Some(upgraded.clone())));
        let admin = Actor::User(user(Tier::Standard, Role::Admin));
        let updated = ports.service().update_user(&admin, target_id, change).await;
        assert_eq!(updated.unwrap().tier, Tier::Premium);
    }

    #[tokio::test]
    async fn an_unknown_user_is_not_found() {
        let mut ports = MockPorts::new();
        ports.users.expect_change_access().returning(|_, _| Ok(None));
        let result = ports.service().update_user(&Actor::Operator, UserId::generate(), AccessChange::default()).await;
        assert!(matches!(result, Err(UpdateUserError::NotFound)));
    }
}
