//! Logging in: an email and password for an access token, with password guessing
//! throttled per email.

use super::Service;
use crate::domain::{Email, Password, PasswordHash, Timestamp};
use crate::ports::{AccessToken, BackendError};
use chrono::TimeDelta;

/// Failed logins for one email within [`LOGIN_FAILURE_WINDOW`] that block further tries.
pub const LOGIN_FAILURE_LIMIT: u32 = 5;
/// How far back failed logins count.
pub const LOGIN_FAILURE_WINDOW: TimeDelta = TimeDelta::minutes(15);

#[derive(Debug, thiserror::Error)]
pub enum AuthenticateError {
    /// The same answer for an unknown email and a wrong password.
    #[error("the email or password is wrong")]
    InvalidCredentials,
    #[error("too many failed logins; try again in {retry_after_seconds} seconds")]
    TooManyAttempts { retry_after_seconds: i64 },
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl Service {
    /// A token for the user with this email and password. After
    /// [`LOGIN_FAILURE_LIMIT`] failures within [`LOGIN_FAILURE_WINDOW`], refuses even
    /// the right password until the oldest of them leaves the window; a success forgets
    /// the failures.
    pub async fn authenticate(&self, email: &str, password: &str) -> Result<AccessToken, AuthenticateError> {
        let Ok(email) = Email::parse(email) else {
            return Err(AuthenticateError::InvalidCredentials);
        };
        let now = self.ports.clock.now();
        let failures =
            self.ports.login_attempts.failures_since(&email, now - LOGIN_FAILURE_WINDOW, LOGIN_FAILURE_LIMIT).await?;
        if let Some(retry_after_seconds) = throttled_for(&failures, now) {
            return Err(AuthenticateError::TooManyAttempts { retry_after_seconds });
        }

        let user = self.ports.users.by_email(&email).await?;
        let matches = match Password::parse(password) {
            Ok(password) => {
                // An unknown email costs a full verification too, so timing tells nothing.
                let unreadable = PasswordHash::new("");
                let hash = user.as_ref().map_or(&unreadable, |user| &user.password_hash);
                self.ports.passwords.verify(&password, hash).await? && user.is_some()
            }
            Err(_) => false,
        };
        let Some(user) = user.filter(|_| matches) else {
            self.ports.login_attempts.record_failure(&email, now).await?;
            return Err(AuthenticateError::InvalidCredentials);
        };

        if !failures.is_empty() {
            self.ports.login_attempts.clear(&email).await?;
        }
        Ok(self.ports.tokens.issue(user.id, now)?)
    }
}

/// Seconds until logins are allowed again, if `failures` (newest first) reach the limit.
fn throttled_for(failures: &[Timestamp], now: Timestamp) -> Option<i64> {
    let oldest_counted = failures.get(LOGIN_FAILURE_LIMIT as usize - 1)?;
    let until = *oldest_counted + LOGIN_FAILURE_WINDOW;
    Some((until - now).num_seconds().max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, Tier};
    use crate::usecases::test_support::*;
    use mockall::predicate::eq;

    fn token() -> AccessToken {
        AccessToken { token: "jwt".into(), expires_in_seconds: 3600 }
    }

    fn ports_with_failures(failures: Vec<Timestamp>) -> MockPorts {
        let mut ports = MockPorts::new();
        ports
            .login_attempts
            .expect_failures_since()
            .withf(|_, since, limit| *since == fixed_now() - LOGIN_FAILURE_WINDOW && *limit == LOGIN_FAILURE_LIMIT)
            .returning(move |_, _, _| Ok(failures.clone()));
        ports
    }

    #[tokio::test]
    async fn the_right_password_gets_a_token() {
        let mut ports = ports_with_failures(vec![]);
        let ada = user(Tier::Standard, Role::Customer);
        let id = ada.id;
        ports.users.expect_by_email().returning(move |_| Ok(Some(ada.clone())));
        ports.passwords.expect_verify().returning(|_, _| Ok(true));
        ports.tokens.expect_issue().with(eq(id), eq(fixed_now())).returning(|_, _| Ok(token()));
        ports.login_attempts.expect_clear().times(0);
        let issued = ports.service().authenticate("ADA@example.com", "correct horse").await.unwrap();
        assert_eq!(issued, token());
    }

    #[tokio::test]
    async fn a_wrong_password_and_an_unknown_email_get_the_same_answer_and_are_counted() {
        for known in [true, false] {
            let mut ports = ports_with_failures(vec![]);
            let ada = user(Tier::Standard, Role::Customer);
            ports.users.expect_by_email().returning(move |_| Ok(known.then(|| ada.clone())));
            ports.passwords.expect_verify().times(1).returning(|_, _| Ok(false));
            ports
                .login_attempts
                .expect_record_failure()
                .withf(|_, at| *at == fixed_now())
                .times(1)
                .returning(|_, _| Ok(()));
            ports.tokens.expect_issue().times(0);
            let result = ports.service().authenticate("ada@example.com", "wrong password").await;
            assert!(matches!(result, Err(AuthenticateError::InvalidCredentials)), "known email: {known}");
        }
    }

    #[tokio::test]
    async fn five_recent_failures_block_even_the_right_password_until_the_oldest_expires() {
        let failures: Vec<_> = (1..=5).map(|m| fixed_now() - TimeDelta::minutes(m)).collect();
        let ports = ports_with_failures(failures);
        let result = ports.service().authenticate("ada@example.com", "correct horse").await;
        // The 5th failure was 5 minutes ago; it leaves the 15-minute window in 10.
        assert!(matches!(result, Err(AuthenticateError::TooManyAttempts { retry_after_seconds: 600 })));
    }

    #[tokio::test]
    async fn a_success_after_failures_forgets_them() {
        let mut ports = ports_with_failures(vec![fixed_now() - TimeDelta::minutes(1)]);
        let ada = user(Tier::Standard, Role::Customer);
        ports.users.expect_by_email().returning(move |_| Ok(Some(ada.clone())));
        ports.passwords.expect_verify().returning(|_, _| Ok(true));
        ports.login_attempts.expect_clear().times(1).returning(|_| Ok(()));
        ports.tokens.expect_issue().returning(|_, _| Ok(token()));
        assert!(ports.service().authenticate("ada@example.com", "correct horse").await.is_ok());
    }

    #[tokio::test]
    async fn a_malformed_email_is_just_wrong_credentials() {
        let ports = MockPorts::new();
        let result = ports.service().authenticate("not an email", "whatever").await;
        assert!(matches!(result, Err(AuthenticateError::InvalidCredentials)));
    }
}
