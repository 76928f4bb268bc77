//! Registering: anyone may sign up as a standard customer; an admin may create a
//! user with any tier and role.

use super::{Actor, Service};
use crate::domain::{Email, FullName, Password, Role, Tier, User, UserId, Violations};
use crate::ports::{AccessChange, BackendError, InsertUserError};

/// Who is signing up.
#[derive(Debug, Clone)]
pub struct Registration {
    pub email: Email,
    pub password: Password,
    pub full_name: Option<FullName>,
}

impl Registration {
    /// Validates raw input, naming every refused field.
    pub fn parse(email: &str, password: &str, full_name: Option<&str>) -> Result<Self, Violations> {
        let mut violations = Violations::default();
        let email = violations.check("email", Email::parse(email));
        let password = violations.check("password", Password::parse(password));
        let full_name = full_name.and_then(|name| violations.check("full_name", FullName::parse(name)));
        match (email, password) {
            (Some(email), Some(password)) if violations.is_empty() => Ok(Self { email, password, full_name }),
            _ => Err(violations),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("only an admin may create users with a tier or role")]
    Forbidden,
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Service {
    /// Signs up a standard customer.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn register(&self, registration: Registration) -> Result<User, RegisterError> {
        self.insert_user(registration, AccessChange::default()).await.map_err(|error| match error {
            InsertUserError::EmailTaken => RegisterError::EmailTaken,
            InsertUserError::Backend(error) => RegisterError::Backend(error),
        })
    }

    /// Creates a user with the given tier and role (defaults where `None`): admins only.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_user(
        &self,
        actor: &Actor,
        registration: Registration,
        access: AccessChange,
    ) -> Result<User, CreateUserError> {
        if !actor.is_admin() {
            return Err(CreateUserError::Forbidden);
        }
        self.insert_user(registration, access).await.map_err(|error| match error {
            InsertUserError::EmailTaken => CreateUserError::EmailTaken,
            InsertUserError::Backend(error) => CreateUserError::Backend(error),
        })
    }

    async fn insert_user(&self, registration: Registration, access: AccessChange) -> Result<User, InsertUserError> {
        let password_hash = self.ports.passwords.hash(&registration.password).await?;
        let user = User {
            id: UserId::generate(),
            email: registration.email,
            password_hash,
            full_name: registration.full_name,
            tier: access.tier.unwrap_or(Tier::Standard),
            role: access.role.unwrap_or(Role::Customer),
            created_at: self.ports.clock.now(),
        };
        self.ports.users.insert(&user).await?;
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PasswordHash;
    use crate::usecases::test_support::*;

    fn ada() -> Registration {
        Registration::parse("Ada@Example.com", "correct horse", Some("Ada Lovelace")).unwrap()
    }

    #[test]
    fn parse_names_every_refused_field() {
        let violations = Registration::parse("nope", "short", Some(&"x".repeat(201))).unwrap_err();
        let fields: Vec<_> = violations.fields().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["email", "password", "full_name"]);
    }

    #[tokio::test]
    async fn registers_a_standard_customer_with_a_hashed_password() {
        let mut ports = MockPorts::new();
        ports.passwords.expect_hash().returning(|_| Ok(PasswordHash::new("$argon2id$hash")));
        ports
            .users
            .expect_insert()
            .withf(|user| {
                user.email.as_str() == "ada@example.com"
                    && user.password_hash.as_str() == "$argon2id$hash"
                    && user.tier == Tier::Standard
                    && user.role == Role::Customer
            })
            .times(1)
            .returning(|_| Ok(()));
        let user = ports.service().register(ada()).await.unwrap();
        assert_eq!(user.created_at, fixed_now());
    }

    #[tokio::test]
    async fn a_taken_email_is_reported_as_such() {
        let mut ports = MockPorts::new();
        ports.passwords.expect_hash().returning(|_| Ok(PasswordHash::new("h")));
        ports.users.expect_insert().returning(|_| Err(InsertUserError::EmailTaken));
        assert!(matches!(ports.service().register(ada()).await, Err(RegisterError::EmailTaken)));
    }

    #[tokio::test]
    async fn only_admins_create_users_with_access() {
        let ports = MockPorts::new();
        let customer = Actor::User(user(Tier::Standard, Role::Customer));
        let result = ports.service().create_user(&customer, ada(), AccessChange::default()).await;
        assert!(matches!(result, Err(CreateUserError::Forbidden)));
    }

    #[tokio::test]
    async fn the_operator_creates_a_premium_admin() {
        let mut ports = MockPorts::new();
        ports.passwords.expect_hash().returning(|_| Ok(PasswordHash::new("h")));
        ports
            .users
            .expect_insert()
            .withf(|user| user.tier == Tier::Premium && user.role == Role::Admin)
            .times(1)
            .returning(|_| Ok(()));
        let access = AccessChange { tier: Some(Tier::Premium), role: Some(Role::Admin) };
        let user = ports.service().create_user(&Actor::Operator, ada(), access).await.unwrap();
        assert!(user.is_admin());
    }
}
