//! Logging in: the OAuth2 password grant, answered with a bearer JWT.

use super::ApiTags;
use super::address_limits::AddressLimits;
use super::body::FormBody;
use super::dto::auth::{TokenRequest, TokenResponse};
use super::errors::ApiError;
use super::errors::operations::IssueTokenErrors;
use crate::metrics::events;
use orders_core::usecases::{AuthenticateError, Service};
use poem::Request;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use std::sync::Arc;

pub struct AuthApi {
    pub service: Service,
    pub limits: Arc<AddressLimits>,
}

#[derive(ApiResponse)]
pub enum TokenAnswer {
    /// A token; send it as `Authorization: Bearer <access_token>`.
    #[oai(status = 200)]
    Issued(Json<TokenResponse>, #[oai(header = "Cache-Control")] String),
}

#[OpenApi(tag = "ApiTags::Auth")]
impl AuthApi {
    /// Log in
    ///
    /// The OAuth2 password grant: the user's e-mail as `username`, and `password`, as an
    /// `application/x-www-form-urlencoded` form (`grant_type` and `scope` are accepted and
    /// ignored). An unknown e-mail and a wrong password get the same `401`. After 5
    /// failures for one e-mail within 15 minutes, logins for it are refused with `429`
    /// until the oldest leaves the window; a success forgets the failures. Failed logins
    /// from one client address are limited too (100 per 15 minutes by default), whatever
    /// e-mails they name.
    #[oai(path = "/v1/auth/token", method = "post", operation_id = "issueToken")]
    async fn issue_token(
        &self,
        request: &Request,
        form: FormBody<TokenRequest>,
    ) -> Result<TokenAnswer, ApiError<IssueTokenErrors>> {
        let attempt = self.limits.failed_logins.take(self.limits.address_of(request)).inspect_err(|_| {
            events::login_throttled();
        })?;
        let outcome = self.service.authenticate(&form.0.username, &form.0.password).await;
        match &outcome {
            Err(AuthenticateError::InvalidCredentials) => events::login_failed(),
            Err(AuthenticateError::TooManyAttempts { .. }) => events::login_throttled(),
            _ => {}
        }
        let token = attempt.settle(outcome, |outcome| {
            matches!(outcome, Err(AuthenticateError::InvalidCredentials | AuthenticateError::TooManyAttempts { .. }))
        })?;
        Ok(TokenAnswer::Issued(Json(token.into()), "no-store".to_owned()))
    }
}
