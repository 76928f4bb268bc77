//! Who is calling: the JWT from `POST /v1/auth/token`, sent as `Authorization: Bearer`.
//! It is declared twice, as a plain bearer scheme (paste a token) and as the OAuth2
//! password flow (log in with e-mail and password), so that Swagger UI's Authorize
//! button works either way. [`Caller`] resolves the token to the user as stored now;
//! [`TokenHolder`] (the same schemes, for use cases that read the user in their own
//! unit of work) only checks the token, without reading the store.

use super::problem::Problem;
use orders_core::domain::{User, UserId};
use orders_core::usecases::{Actor, Service};
use poem::Request;
use poem_openapi::auth::Bearer;
use poem_openapi::{OAuthScopes, SecurityScheme};

/// A token from `POST /v1/auth/token`, pasted as is.
#[derive(SecurityScheme)]
#[oai(rename = "bearerAuth", ty = "bearer", bearer_format = "JWT", checker = "resolve_user")]
pub struct BearerToken(User);

/// Log in with your e-mail address as the username (the OAuth2 password grant).
#[derive(SecurityScheme)]
#[oai(
    rename = "oauth2Password",
    ty = "oauth2",
    flows(password(token_url = "/v1/auth/token", scopes = "Scope")),
    checker = "resolve_user"
)]
pub struct OAuth2Password(User);

/// The scopes of the OAuth2 flow. OpenAPI 3.0 requires a flow to list its scopes, and
/// this API has one: a token carries all its user's rights, whatever scope is asked for.
#[derive(OAuthScopes)]
pub enum Scope {
    /// Everything the user may do; every token has it, asked for or not.
    #[oai(rename = "orders")]
    Orders,
}

/// The logged-in user behind a request's token, by either scheme.
#[derive(SecurityScheme)]
pub enum Caller {
    Bearer(BearerToken),
    OAuth2(OAuth2Password),
}

impl Caller {
    pub fn user(self) -> User {
        match self {
            Caller::Bearer(BearerToken(user)) | Caller::OAuth2(OAuth2Password(user)) => user,
        }
    }

    pub fn actor(self) -> Actor {
        Actor::User(self.user())
    }
}

/// A token from `POST /v1/auth/token`, pasted as is; checked, not resolved.
#[derive(SecurityScheme)]
#[oai(rename = "bearerAuth", ty = "bearer", bearer_format = "JWT", checker = "token_subject")]
pub struct BearerSubject(UserId);

/// Log in with your e-mail address as the username (the OAuth2 password grant);
/// checked, not resolved.
#[derive(SecurityScheme)]
#[oai(
    rename = "oauth2Password",
    ty = "oauth2",
    flows(password(token_url = "/v1/auth/token", scopes = "Scope")),
    checker = "token_subject"
)]
pub struct OAuth2Subject(UserId);

/// The id of the user a request's valid token names, by either scheme. The user may
/// have vanished since the token was issued: the use case finds out.
#[derive(SecurityScheme)]
pub enum TokenHolder {
    Bearer(BearerSubject),
    OAuth2(OAuth2Subject),
}

impl TokenHolder {
    pub fn id(self) -> UserId {
        match self {
            TokenHolder::Bearer(BearerSubject(id)) | TokenHolder::OAuth2(OAuth2Subject(id)) => id,
        }
    }
}

fn service(request: &Request) -> &Service {
    request.data::<Service>().expect("the app is built with the service as request data")
}

async fn token_subject(request: &Request, bearer: Bearer) -> poem::Result<UserId> {
    service(request).token_subject(&bearer.token).map_err(|error| Problem::from(error).into())
}

async fn resolve_user(request: &Request, bearer: Bearer) -> poem::Result<User> {
    service(request).current_user(&bearer.token).await.map_err(|error| Problem::from(error).into())
}
