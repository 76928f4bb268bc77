//! Logging in: an email and password for an access token, with password guessing
//! throttled per email.

use super::Service;
use crate::domain::{Email, Password, PasswordHash, Timestamp};
use crate::ports::{AccessToken, AttemptCount, BackendError};
use chrono::TimeDelta;

/// Logins for one email that may check a password within one [`LOGIN_FAILURE_WINDOW`].
pub const LOGIN_FAILURE_LIMIT: u32 = 5;
/// How long a window of counted logins lasts, from the first.
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
    /// A token for the user with this email and password.
    ///
    /// Every login is counted before its password is checked, in one atomic step with
    /// the limit, so that concurrent guesses cannot outrun it: within
    /// [`LOGIN_FAILURE_WINDOW`] from the first counted login, at most
    /// [`LOGIN_FAILURE_LIMIT`] check a password, and the rest (the right password
    /// included) are refused until the window ends. A success forgets the count.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn authenticate(&self, email: &str, password: &str) -> Result<AccessToken, AuthenticateError> {
        let Ok(email) = Email::parse(email) else {
            return Err(AuthenticateError::InvalidCredentials);
        };
        let now = self.ports.clock.now();
        let window_ended_before = now - LOGIN_FAILURE_WINDOW;
        let counted =
            self.ports.login_attempts.count_attempt(&email, now, window_ended_before, LOGIN_FAILURE_LIMIT).await?;
        if let AttemptCount::Throttled { window_started_at } = counted {
            return Err(AuthenticateError::TooManyAttempts {
                retry_after_seconds: throttled_for(window_started_at, now),
            });
        }

        let user = self.ports.users.by_email(&email).await?;
        let Ok(password) = Password::parse(password) else {
            return Err(AuthenticateError::InvalidCredentials);
        };
        // An unknown email costs a full verification too, so timing tells nothing.
        let unreadable = PasswordHash::new("");
        let hash = user.as_ref().map_or(&unreadable, |user| &user.password_hash);
        let matched = self.matching_form(&password, hash).await?;
        let Some(user) = user.filter(|_| matched != Match::None) else {
            return Err(AuthenticateError::InvalidCredentials);
        };
        if matched == Match::AsGiven {
            let normalized = self.ports.passwords.hash(&password).await?;
            self.ports.users.replace_password_hash(user.id, &user.password_hash, &normalized).await?;
        }
        self.ports.login_attempts.clear(&email).await?;
        Ok(self.ports.tokens.issue(user.id, now)?)
    }
}

/// Which form of a password matched a hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
    None,
    Normalized,
    /// The text as given, not in its normal form: the hash predates normalisation.
    AsGiven,
}

impl Service {
    /// Which form of `password` matches `hash`: its normal form, or, for a hash made
    /// before passwords were normalised, the text exactly as given.
    async fn matching_form(&self, password: &Password, hash: &PasswordHash) -> Result<Match, BackendError> {
        if self.ports.passwords.verify(password, hash).await? {
            return Ok(Match::Normalized);
        }
        match password.as_given() {
            Some(given) if self.ports.passwords.verify(&given, hash).await? => Ok(Match::AsGiven),
            _ => Ok(Match::None),
        }
    }
}

/// Seconds until the window that started at `window_started_at` ends, at least 1.
fn throttled_for(window_started_at: Timestamp, now: Timestamp) -> i64 {
    (window_started_at + LOGIN_FAILURE_WINDOW - now).num_seconds().max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, Tier, User};
    use crate::usecases::test_support::*;
    use mockall::predicate::eq;

    fn token() -> AccessToken {
        AccessToken { token: "jwt".into(), expires_in_seconds: 3600 }
    }

    fn ports_counting(answer: AttemptCount) -> MockPorts {
        let mut ports = MockPorts::new();
        ports
            .login_attempts
            .expect_count_attempt()
            .withf(|_, at, ended_before, limit| {
                *at == fixed_now()
                    && *ended_before == fixed_now() - LOGIN_FAILURE_WINDOW
                    && *limit == LOGIN_FAILURE_LIMIT
            })
            .times(1)
            .returning(move |_, _, _, _| Ok(answer));
        ports
    }

    #[tokio::test]
    async fn the_right_password_gets_a_token_and_forgets_the_count() {
        let mut ports = ports_counting(AttemptCount::Counted);
        let ada = user(Tier::Standard, Role::Customer);
        let id = ada.id;
        ports.users.expect_by_email().returning(move |_| Ok(Some(ada.clone())));
        ports.passwords.expect_verify().returning(|_, _| Ok(true));
        ports.tokens.expect_issue().with(eq(id), eq(fixed_now())).returning(|_, _| Ok(token()));
        ports.login_attempts.expect_clear().times(1).returning(|_| Ok(()));
        let issued = ports.service().authenticate("ADA@example.com", "correct horse").await.unwrap();
        assert_eq!(issued, token());
    }

    #[tokio::test]
    async fn a_wrong_password_and_an_unknown_email_get_the_same_answer_and_stay_counted() {
        for known in [true, false] {
            let mut ports = ports_counting(AttemptCount::Counted);
            let ada = user(Tier::Standard, Role::Customer);
            ports.users.expect_by_email().returning(move |_| Ok(known.then(|| ada.clone())));
            ports.passwords.expect_verify().times(1).returning(|_, _| Ok(false));
            ports.login_attempts.expect_clear().times(0);
            ports.tokens.expect_issue().times(0);
            let result = ports.service().authenticate("ada@example.com", "wrong password").await;
            assert!(matches!(result, Err(AuthenticateError::InvalidCredentials)), "known email: {known}");
        }
    }

    #[tokio::test]
    async fn past_the_limit_no_password_is_checked_until_the_window_ends() {
        let window_started_at = fixed_now() - TimeDelta::minutes(5);
        let mut ports = ports_counting(AttemptCount::Throttled { window_started_at });
        ports.users.expect_by_email().times(0);
        ports.passwords.expect_verify().times(0);
        let result = ports.service().authenticate("ada@example.com", "correct horse").await;
        // The window started 5 minutes ago; it ends in 10.
        assert!(matches!(result, Err(AuthenticateError::TooManyAttempts { retry_after_seconds: 600 })), "{result:?}");
    }

    #[tokio::test]
    async fn a_hash_of_a_password_as_typed_before_normalisation_still_logs_in_and_is_replaced() {
        let mut ports = ports_counting(AttemptCount::Counted);
        let ada = User {
            password_hash: PasswordHash::new("hash of the decomposed text"),
            ..user(Tier::Standard, Role::Customer)
        };
        let id = ada.id;
        ports.users.expect_by_email().returning(move |_| Ok(Some(ada.clone())));
        ports
            .passwords
            .expect_verify()
            .times(2)
            .returning(|password, _| Ok(password.expose() == "cafe\u{301}-au-lait"));
        ports.passwords.expect_hash().times(1).returning(|password| {
            assert_eq!(password.expose(), "caf\u{e9}-au-lait");
            Ok(PasswordHash::new("hash of the normal form"))
        });
        ports
            .users
            .expect_replace_password_hash()
            .withf(move |user, old, new| {
                *user == id
                    && old.as_str() == "hash of the decomposed text"
                    && new.as_str() == "hash of the normal form"
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        ports.login_attempts.expect_clear().returning(|_| Ok(()));
        ports.tokens.expect_issue().returning(|_, _| Ok(token()));
        let issued = ports.service().authenticate("ada@example.com", "cafe\u{301}-au-lait").await.unwrap();
        assert_eq!(issued, token());
    }

    #[tokio::test]
    async fn a_wrong_password_not_in_normal_form_is_tried_both_ways_and_nothing_is_replaced() {
        for known in [true, false] {
            let mut ports = ports_counting(AttemptCount::Counted);
            let ada = user(Tier::Standard, Role::Customer);
            ports.users.expect_by_email().returning(move |_| Ok(known.then(|| ada.clone())));
            ports.passwords.expect_verify().times(2).returning(|_, _| Ok(false));
            ports.passwords.expect_hash().times(0);
            ports.users.expect_replace_password_hash().times(0);
            let result = ports.service().authenticate("ada@example.com", "cafe\u{301}-au-lait").await;
            assert!(matches!(result, Err(AuthenticateError::InvalidCredentials)), "known email: {known}");
        }
    }

    #[tokio::test]
    async fn a_malformed_email_is_just_wrong_credentials_and_not_counted() {
        let mut ports = MockPorts::new();
        ports.login_attempts.expect_count_attempt().times(0);
        let result = ports.service().authenticate("not an email", "whatever").await;
        assert!(matches!(result, Err(AuthenticateError::InvalidCredentials)));
    }
}
