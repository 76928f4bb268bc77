//! Logging in on the wire: the OAuth2 password grant's form and the token it answers.

use orders_core::ports::AccessToken;
use poem_openapi::{Enum, Object};
use serde::Deserialize;

/// An OAuth2 password grant (RFC 6749 §4.3), as Swagger UI's Authorize button sends it.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(rename = "TokenRequest")]
pub struct TokenRequest {
    /// `password` if given; accepted and ignored.
    pub grant_type: Option<String>,
    /// The user's e-mail address.
    pub username: String,
    pub password: String,
    /// Accepted and ignored: every token carries the user's own rights.
    pub scope: Option<String>,
}

/// An access token for `Authorization: Bearer`.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Token")]
pub struct TokenResponse {
    /// A JWT (HS256) whose `sub` is the user's id.
    pub access_token: String,
    pub token_type: TokenType,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// Always `bearer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "TokenType", rename_all = "lowercase")]
pub enum TokenType {
    Bearer,
}

impl From<AccessToken> for TokenResponse {
    fn from(token: AccessToken) -> Self {
        Self { access_token: token.token, token_type: TokenType::Bearer, expires_in: token.expires_in_seconds }
    }
}
