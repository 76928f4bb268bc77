//! Who is asking: a logged-in user, or the operator at the command line, who has an
//! admin's rights.

use crate::domain::{Order, User, UserId};

#[derive(Debug, Clone)]
pub enum Actor {
    /// Someone with shell access to the deployment, using `ordersctl`.
    Operator,
    /// A user who presented a valid token.
    User(User),
}

impl Actor {
    pub fn is_admin(&self) -> bool {
        match self {
            Actor::Operator => true,
            Actor::User(user) => user.is_admin(),
        }
    }

    /// Owners and admins may see an order; to anyone else it does not exist.
    pub fn may_see(&self, order: &Order) -> bool {
        self.is_admin() || self.user_id() == Some(order.user_id)
    }

    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Actor::Operator => None,
            Actor::User(user) => Some(user.id),
        }
    }
}
