//! Access tokens as HS256 JWTs: `sub` is the user id, `iat` and `exp` bound its life.
//! Times are checked against the caller's clock, not the system's: a token is refused
//! once expired, before its `nbf`, when issued (`iat`) more than [`LEEWAY_SECONDS`]
//! ahead of now, or when it claims a longer life than this issuer gives.
//!
//! A client sends the same token with every request of its life, so the claims of
//! tokens whose signature checked out are kept (at most [`VERIFIED_KEPT`]), as Envoy's
//! JWT cache does: a token seen before is only matched whole and its times checked
//! again, without another HMAC. Only a token signed with this issuer's secret is kept.

use chrono::TimeDelta;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use orders_core::domain::{Timestamp, UserId};
use orders_core::ports::{AccessToken, BackendError, InvalidToken, TokenIssuer};
use quick_cache::sync::Cache;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How far ahead of this server's clock another server's may run: an `iat` or `nbf`
/// up to this far in the future is accepted.
pub const LEEWAY_SECONDS: i64 = 30;

/// How many verified tokens' claims are kept: one per active client, a few MiB.
pub const VERIFIED_KEPT: usize = 10_000;

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    iat: i64,
    exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
}

impl Claims {
    /// Whether these claims are good at `now` for tokens that live `ttl`.
    fn hold_at(&self, now: i64, ttl: i64) -> bool {
        let not_before = self.nbf.unwrap_or(self.iat);
        now < self.exp
            && self.iat <= now + LEEWAY_SECONDS
            && not_before <= now + LEEWAY_SECONDS
            && self.exp.checked_sub(self.iat).is_some_and(|life| life <= ttl)
    }
}

/// Signs and checks tokens with one shared secret.
pub struct JwtIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: TimeDelta,
    /// The claims of tokens whose signature checked out, by the whole token.
    verified: Cache<String, Claims>,
}

impl JwtIssuer {
    /// An issuer whose tokens live `ttl`, signed with `secret`.
    pub fn new(secret: &[u8], ttl: TimeDelta) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.required_spec_claims = ["sub", "iat", "exp"].iter().map(|c| c.to_string()).collect();
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
            verified: Cache::new(VERIFIED_KEPT),
        }
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
        let claims = Claims { sub: user.as_uuid(), iat: now.timestamp(), exp: (now + self.ttl).timestamp(), nbf: None };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(BackendError::failed)?;
        Ok(AccessToken { token, expires_in_seconds: self.ttl.num_seconds() })
    }

    fn verify(&self, token: &str, now: Timestamp) -> Result<UserId, InvalidToken> {
        let claims = match self.verified.get(token) {
            Some(claims) => claims,
            None => {
                let claims =
                    decode::<Claims>(token, &self.decoding, &self.validation).map_err(|_| InvalidToken)?.claims;
                self.verified.insert(token.to_owned(), claims);
                claims
            }
        };
        if !claims.hold_at(now.timestamp(), self.ttl.num_seconds()) {
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

    fn signed(claims: &Claims) -> String {
        encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(b"secret")).unwrap()
    }

    fn claims(iat: i64, exp: i64, nbf: Option<i64>) -> Claims {
        Claims { sub: Uuid::now_v7(), iat, exp, nbf }
    }

    #[test]
    fn tokens_not_yet_valid_issued_in_the_future_or_living_too_long_are_refused() {
        let issuer = JwtIssuer::new(b"secret", TimeDelta::seconds(3600));
        let t = now().timestamp();
        let verify = |claims: Claims| issuer.verify(&signed(&claims), now()).is_ok();
        assert!(verify(claims(t, t + 3600, None)), "a token as issued");
        assert!(verify(claims(t - 10, t + 3590, Some(t - 10))), "nbf passed");
        assert!(!verify(claims(t - 10, t + 3590, Some(t + 3000))), "nbf ahead");
        assert!(verify(claims(t + LEEWAY_SECONDS, t + 3600, None)), "iat within the leeway");
        assert!(!verify(claims(t + 365 * 86_400, t + 365 * 86_400 + 3600, None)), "iat a year ahead");
        assert!(!verify(claims(t, t + 3601, None)), "a life longer than the issuer gives");
        assert!(!verify(claims(t - 1_000_000, t + 3600, None)), "a life far longer");
    }

    #[test]
    fn a_token_seen_before_is_still_refused_once_expired_and_a_forgery_of_it_never_passes() {
        let issuer = JwtIssuer::new(b"secret", TimeDelta::seconds(60));
        let user = UserId::generate();
        let token = issuer.issue(user, now()).unwrap().token;
        assert_eq!(issuer.verify(&token, now()), Ok(user));
        assert_eq!(issuer.verify(&token, now() + TimeDelta::seconds(30)), Ok(user), "kept, and still good");
        assert_eq!(issuer.verify(&token, now() + TimeDelta::seconds(60)), Err(InvalidToken), "kept, but expired");
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let other = if signature.ends_with('A') { 'B' } else { 'A' };
        let forged = format!("{signed}.{}{other}", &signature[..signature.len() - 1]);
        assert_eq!(issuer.verify(&forged, now()), Err(InvalidToken), "only the whole token matches");
        let foreign = JwtIssuer::new(b"other", TimeDelta::seconds(60)).issue(user, now()).unwrap().token;
        assert_eq!(issuer.verify(&foreign, now()), Err(InvalidToken));
        assert_eq!(issuer.verify(&foreign, now()), Err(InvalidToken), "a refused token is not kept");
    }

    #[test]
    fn a_token_without_iat_is_refused() {
        #[derive(Serialize)]
        struct NoIat {
            sub: Uuid,
            exp: i64,
        }
        let issuer = JwtIssuer::new(b"secret", TimeDelta::seconds(3600));
        let claims = NoIat { sub: Uuid::now_v7(), exp: now().timestamp() + 60 };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(b"secret")).unwrap();
        assert_eq!(issuer.verify(&token, now()), Err(InvalidToken));
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
