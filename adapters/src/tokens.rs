//! Access tokens as HS256 JWTs: `sub` is the user id, `iat` and `exp` bound its life.
//! Expiry is checked against the caller's clock, not the system's.

use chrono::TimeDelta;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use orders_core::domain::{Timestamp, UserId};
use orders_core::ports::{AccessToken, BackendError, InvalidToken, TokenIssuer};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    iat: i64,
    exp: i64,
}

/// Signs and checks tokens with one shared secret.
pub struct JwtIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: TimeDelta,
}

impl JwtIssuer {
    /// An issuer whose tokens live `ttl`, signed with `secret`.
    pub fn new(secret: &[u8], ttl: TimeDelta) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.required_spec_claims = ["sub", "exp"].iter().map(|c| c.to_string()).collect();
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), validation, ttl }
    }

    /// An issuer with a random 256-bit secret: its tokens die with it.
    pub fn with_random_secret(ttl: TimeDelta) -> Self {
        let mut secret = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut secret);
        Self::new(&secret, ttl)
    }
}

impl TokenIssuer for JwtIssuer {
    fn issue(&self, user: UserId, now: Timestamp) -> Result<AccessToken, BackendError> {
        let claims = Claims { sub: user.as_uuid(), iat: now.timestamp(), exp: (now + self.ttl).timestamp() };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(BackendError::failed)?;
        Ok(AccessToken { token, expires_in_seconds: self.ttl.num_seconds() })
    }

    fn verify(&self, token: &str, now: Timestamp) -> Result<UserId, InvalidToken> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation).map_err(|_| InvalidToken)?.claims;
        if claims.exp <= now.timestamp() {
            return Err(InvalidToken);
        }
        Ok(UserId::from_uuid(claims.sub))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn a_token_names_its_user_until_it_expires() {
        let issuer = JwtIssuer::new(b"secret", TimeDelta::seconds(60));
        let user = UserId::generate();
        let token = issuer.issue(user, now()).unwrap();
        assert_eq!(token.expires_in_seconds, 60);
        assert_eq!(issuer.verify(&token.token, now() + TimeDelta::seconds(59)), Ok(user));
        assert_eq!(issuer.verify(&token.token, now() + TimeDelta::seconds(60)), Err(InvalidToken));
    }

    #[test]
    fn tokens_of_another_secret_or_malformed_are_refused() {
        let user = UserId::generate();
        let foreign = JwtIssuer::new(b"other", TimeDelta::seconds(60)).issue(user, now()).unwrap();
        let issuer = JwtIssuer::new(b"secret", TimeDelta::seconds(60));
        assert_eq!(issuer.verify(&foreign.token, now()), Err(InvalidToken));
        assert_eq!(issuer.verify("not.a.jwt", now()), Err(InvalidToken));
        assert_eq!(issuer.verify("", now()), Err(InvalidToken));
    }
}
