//! Reading one order: its owner or an admin may; to anyone else it does not exist.

use super::{Actor, Service};
use crate::domain::{Order, OrderId};
use crate::ports::BackendError;

#[derive(Debug, thiserror::Error)]
pub enum GetOrderError {
    #[error("order not found")]
    NotFound,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Service {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get_order(&self, actor: &Actor, id: OrderId) -> Result<Order, GetOrderError> {
        self.ports.orders.by_id(id).await?.filter(|order| actor.may_see(order)).ok_or(GetOrderError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, Tier};
    use crate::usecases::test_support::*;

    #[tokio::test]
    async fn another_customers_order_does_not_exist_but_an_admin_sees_it() {
        let owner = user(Tier::Standard, Role::Customer);
        let order = order_of(&owner, &[(product("A", 100, 0), 1)]);
        for (actor, visible) in [
            (Actor::User(owner.clone()), true),
            (Actor::User(user(Tier::Standard, Role::Customer)), false),
            (Actor::User(user(Tier::Standard, Role::Admin)), true),
            (Actor::Operator, true),
        ] {
            let mut ports = MockPorts::new();
            let stored = order.clone();
            ports.orders.expect_by_id().returning(move |_| Ok(Some(stored.clone())));
            let result = ports.service().get_order(&actor, order.id).await;
            assert_eq!(result.is_ok(), visible, "{actor:?}");
            if !visible {
                assert!(matches!(result, Err(GetOrderError::NotFound)));
            }
        }
    }
}
