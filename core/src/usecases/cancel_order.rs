//! Cancelling an order (rule 6): its owner or an admin may, once. Every line's quantity
//! goes back to stock in the same atomic step that marks the order cancelled.

use super::{Actor, Service};
use crate::domain::{Order, OrderId, OrderStatus};
use crate::ports::BackendError;

#[derive(Debug, thiserror::Error)]
pub enum CancelOrderError {
    #[error("order not found")]
    NotFound,
    #[error("the order is already cancelled")]
    NotCancellable,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Service {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn cancel_order(&self, actor: &Actor, id: OrderId) -> Result<Order, CancelOrderError> {
        let order = self
            .ports
            .orders
            .by_id(id)
            .await?
            .filter(|order| actor.may_see(order))
            .ok_or(CancelOrderError::NotFound)?;
        if order.status != OrderStatus::Placed {
            return Err(CancelOrderError::NotCancellable);
        }
        let now = self.ports.clock.now();
        if !self.ports.orders.cancel(&order, now).await? {
            return Err(CancelOrderError::NotCancellable);
        }
        Ok(Order { status: OrderStatus::Cancelled, cancelled_at: Some(now), ..order })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, Tier};
    use crate::usecases::test_support::*;
    use mockall::predicate::{always, eq};

    #[tokio::test]
    async fn cancelling_asks_the_store_to_cancel_the_order_as_read_now() {
        let owner = user(Tier::Standard, Role::Customer);
        let order = order_of(&owner, &[(product("B", 50, 0), 2), (product("A", 100, 0), 3)]);
        let stored = order.clone();
        let mut ports = MockPorts::new();
        ports.orders.expect_by_id().returning(move |_| Ok(Some(stored.clone())));
        ports.orders.expect_cancel().with(eq(order.clone()), eq(fixed_now())).times(1).returning(|_, _| Ok(true));

        let cancelled = ports.service().cancel_order(&Actor::User(owner), order.id).await.unwrap();
        assert_eq!((cancelled.status, cancelled.cancelled_at), (OrderStatus::Cancelled, Some(fixed_now())));
    }

    #[tokio::test]
    async fn a_cancel_that_loses_the_race_is_refused() {
        let owner = user(Tier::Standard, Role::Customer);
        let order = order_of(&owner, &[(product("A", 100, 0), 1)]);
        let stored = order.clone();
        let mut ports = MockPorts::new();
        ports.orders.expect_by_id().returning(move |_| Ok(Some(stored.clone())));
        ports.orders.expect_cancel().returning(|_, _| Ok(false));
        let result = ports.service().cancel_order(&Actor::User(owner), order.id).await;
        assert!(matches!(result, Err(CancelOrderError::NotCancellable)));
    }

    #[tokio::test]
    async fn an_order_already_seen_cancelled_is_refused_without_asking_the_store() {
        let owner = user(Tier::Standard, Role::Customer);
        let mut order = order_of(&owner, &[(product("A", 100, 0), 1)]);
        order.status = OrderStatus::Cancelled;
        let stored = order.clone();
        let mut ports = MockPorts::new();
        ports.orders.expect_by_id().returning(move |_| Ok(Some(stored.clone())));
        ports.orders.expect_cancel().times(0);
        let result = ports.service().cancel_order(&Actor::Operator, order.id).await;
        assert!(matches!(result, Err(CancelOrderError::NotCancellable)));
    }

    #[tokio::test]
    async fn another_customers_order_is_not_found() {
        let owner = user(Tier::Standard, Role::Customer);
        let order = order_of(&owner, &[(product("A", 100, 0), 1)]);
        let stored = order.clone();
        let mut ports = MockPorts::new();
        ports.orders.expect_by_id().with(always()).returning(move |_| Ok(Some(stored.clone())));
        ports.orders.expect_cancel().times(0);
        let stranger = Actor::User(user(Tier::Standard, Role::Customer));
        let result = ports.service().cancel_order(&stranger, order.id).await;
        assert!(matches!(result, Err(CancelOrderError::NotFound)));
    }
}
