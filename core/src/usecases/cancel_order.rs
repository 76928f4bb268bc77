//! Cancelling an order (rule 6): its owner or an admin may, once. Every line's quantity
//! goes back to stock in the unit of work that marks the order cancelled.

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
        let mut tx = self.ports.orders.begin().await?;
        if !tx.mark_cancelled(id, now).await? {
            return Err(CancelOrderError::NotCancellable);
        }
        let mut lines: Vec<_> = order.lines.iter().collect();
        lines.sort_by_key(|line| line.product_id);
        for line in lines {
            tx.return_stock(line.product_id, line.quantity).await?;
        }
        tx.commit().await?;
        Ok(Order { status: OrderStatus::Cancelled, cancelled_at: Some(now), ..order })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, Tier};
    use crate::ports::MockOrderTx;
    use crate::usecases::test_support::*;
    use mockall::predicate::{always, eq};

    #[tokio::test]
    async fn cancelling_returns_each_lines_stock_once_in_the_unit_that_marks_it() {
        let owner = user(Tier::Standard, Role::Customer);
        let (a, b) = (product("A", 100, 0), product("B", 50, 0));
        let order = order_of(&owner, &[(b.clone(), 2), (a.clone(), 3)]);
        let stored = order.clone();
        let mut ports = MockPorts::new();
        ports.orders.expect_by_id().returning(move |_| Ok(Some(stored.clone())));
        let mut unit = MockOrderTx::new();
        unit.expect_mark_cancelled().with(eq(order.id), eq(fixed_now())).times(1).returning(|_, _| Ok(true));
        for (p, q) in [(&a, 3), (&b, 2)] {
            let quantity = crate::domain::Quantity::new(q).unwrap();
            unit.expect_return_stock().with(eq(p.id), eq(quantity)).times(1).returning(|_, _| Ok(()));
        }
        unit.expect_commit().times(1).returning(|| Ok(()));
        ports.orders.expect_begin().return_once(move || Ok(Box::new(unit)));

        let cancelled = ports.service().cancel_order(&Actor::User(owner), order.id).await.unwrap();
        assert_eq!((cancelled.status, cancelled.cancelled_at), (OrderStatus::Cancelled, Some(fixed_now())));
    }

    #[tokio::test]
    async fn a_second_cancel_is_refused_and_returns_nothing_to_stock() {
        let owner = user(Tier::Standard, Role::Customer);
        let order = order_of(&owner, &[(product("A", 100, 0), 1)]);
        let stored = order.clone();
        let mut ports = MockPorts::new();
        ports.orders.expect_by_id().returning(move |_| Ok(Some(stored.clone())));
        let mut unit = MockOrderTx::new();
        unit.expect_mark_cancelled().returning(|_, _| Ok(false));
        unit.expect_return_stock().times(0);
        unit.expect_commit().times(0);
        ports.orders.expect_begin().return_once(move || Ok(Box::new(unit)));
        let result = ports.service().cancel_order(&Actor::User(owner), order.id).await;
        assert!(matches!(result, Err(CancelOrderError::NotCancellable)));
    }

    #[tokio::test]
    async fn an_order_already_seen_cancelled_is_refused_without_a_unit_of_work() {
        let owner = user(Tier::Standard, Role::Customer);
        let mut order = order_of(&owner, &[(product("A", 100, 0), 1)]);
        order.status = OrderStatus::Cancelled;
        let stored = order.clone();
        let mut ports = MockPorts::new();
        ports.orders.expect_by_id().returning(move |_| Ok(Some(stored.clone())));
        ports.orders.expect_begin().times(0);
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
        ports.orders.expect_begin().times(0);
        let stranger = Actor::User(user(Tier::Standard, Role::Customer));
        let result = ports.service().cancel_order(&stranger, order.id).await;
        assert!(matches!(result, Err(CancelOrderError::NotFound)));
    }
}
