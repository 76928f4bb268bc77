//! Listing orders, newest first, a page at a time: a customer sees their own; an admin
//! sees everyone's, or one user's.

use super::{Actor, Service};
use crate::domain::{Order, OrderId, Page, PageRequest, UserId};
use crate::ports::BackendError;

#[derive(Debug, thiserror::Error)]
pub enum ListOrdersError {
    #[error("only an admin may list another user's orders")]
    Forbidden,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Service {
    /// `of_user`: whose orders; `None` means the actor's own (for a customer) or
    /// everyone's (for an admin or the operator).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_orders(
        &self,
        actor: &Actor,
        of_user: Option<UserId>,
        request: PageRequest,
    ) -> Result<Page<Order>, ListOrdersError> {
        let owner = match (actor.is_admin(), of_user, actor.user_id()) {
            (true, of_user, _) => of_user,
            (false, None, own) => own,
            (false, Some(other), own) if Some(other) == own => own,
            (false, Some(_), _) => return Err(ListOrdersError::Forbidden),
        };
        let before = request.after.map(|cursor| OrderId::from_uuid(cursor.last_id()));
        let orders = self.ports.orders.list(owner, before, request.fetch()).await?;
        Ok(Page::from_overfetch(orders, request, |o| o.id.as_uuid()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, Tier};
    use crate::usecases::test_support::*;
    use mockall::predicate::{always, eq};

    #[tokio::test]
    async fn a_customer_lists_only_their_own_orders() {
        let ada = user(Tier::Standard, Role::Customer);
        let mut ports = MockPorts::new();
        ports.orders.expect_list().with(eq(Some(ada.id)), eq(None), eq(21)).returning(|_, _, _| Ok(vec![]));
        let actor = Actor::User(ada.clone());
        let service = ports.service();
        assert!(service.list_orders(&actor, None, PageRequest::default()).await.unwrap().items.is_empty());
        let other = user(Tier::Standard, Role::Customer).id;
        let result = service.list_orders(&actor, Some(other), PageRequest::default()).await;
        assert!(matches!(result, Err(ListOrdersError::Forbidden)));
    }

    #[tokio::test]
    async fn an_admin_lists_everyones_or_one_users_orders() {
        let someone = user(Tier::Standard, Role::Customer).id;
        let mut ports = MockPorts::new();
        ports.orders.expect_list().with(eq(None), always(), always()).times(1).returning(|_, _, _| Ok(vec![]));
        ports.orders.expect_list().with(eq(Some(someone)), always(), always()).times(1).returning(|_, _, _| Ok(vec![]));
        let admin = Actor::User(user(Tier::Standard, Role::Admin));
        let service = ports.service();
        service.list_orders(&admin, None, PageRequest::default()).await.unwrap();
        service.list_orders(&admin, Some(someone), PageRequest::default()).await.unwrap();
    }
}
