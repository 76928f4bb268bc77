//! Who is calling: the JWT from `POST /v1/auth/token`, sent as `Authorization: Bearer`.
//! It is declared as two schemes, a plain bearer scheme (paste a token) and the OAuth2
//! password flow (log in with e-mail and password), so that Swagger UI's Authorize
//! button works either way; [`Caller`] accepts either. It checks the token only: a
//! handler that needs the user as stored now asks core for it ([`Caller::actor`]), and
//! placing an order has the store check the customer's tier as it places the order.

use super::problem::Problem;
use orders_core::domain::UserId;
use orders_core::usecases::{Actor, CurrentUserError, Service};
use poem::Request;
use poem_openapi::auth::Bearer;
use poem_openapi::{OAuthScopes, SecurityScheme};

/// A token from `POST /v1/auth/token`, pasted as is.
#[derive(SecurityScheme)]
#[oai(rename = "bearerAuth", ty = "bearer", bearer_format = "JWT", checker = "token_subject")]
pub struct BearerToken(UserId);

/// Log in with your e-mail address as the username (the OAuth2 password grant).
#[derive(SecurityScheme)]
#[oai(
    rename = "oauth2Password",
    ty = "oauth2",
    flows(password(token_url = "/v1/auth/token", scopes = "Scope")),
    checker = "token_subject"
)]
pub struct OAuth2Password(UserId);

/// The scopes of the OAuth2 flow. OpenAPI 3.0 requires a flow to list its scopes, and
/// this API has one: a token carries all its user's rights, whatever scope is asked for.
#[derive(OAuthScopes)]
pub enum Scope {
    /// Everything the user may do; every token has it, asked for or not.
    #[oai(rename = "orders")]
    Orders,
}

/// The user a request's valid token names, by either scheme. The user may have
/// vanished since the token was issued: core finds out when it reads them.
#[derive(SecurityScheme)]
pub enum Caller {
    Bearer(BearerToken),
    OAuth2(OAuth2Password),
}

impl Caller {
    pub fn id(&self) -> UserId {
        match self {
            Caller::Bearer(BearerToken(id)) | Caller::OAuth2(OAuth2Password(id)) => *id,
        }
    }

    /// The caller as stored now, with the rights they have now.
    pub async fn actor(&self, service: &Service) -> Result<Actor, CurrentUserError> {
        service.current_user(self.id()).await.map(Actor::User)
    }
}

async fn token_subject(request: &Request, bearer: Bearer) -> poem::Result<UserId> {
    let service = request.data::<Service>().expect("the app is built with the service as request data");
    service.token_subject(&bearer.token).map_err(|error| Problem::from(error).into())
}
