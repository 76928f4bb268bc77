//! Users: anyone signs up, a user reads their own account, an admin changes a user's
//! tier or role.

use super::ApiTags;
use super::address_limits::AddressLimits;
use super::body::JsonBody;
use super::dto::documented::UuidText;
use super::dto::users::{RegisterUserRequest, UpdateUserRequest, UserResponse};
use super::errors::ApiError;
use super::errors::operations::{GetMeErrors, RegisterUserErrors, UpdateUserErrors};
use super::security::Caller;
use orders_core::domain::UserId;
use orders_core::usecases::{RegisterError, Service};
use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use std::sync::Arc;
use uuid::Uuid;

pub struct UsersApi {
    pub service: Service,
    pub limits: Arc<AddressLimits>,
}

/// The URI of a user.
pub fn user_location(id: Uuid) -> String {
    format!("/v1/users/{id}")
}

#[derive(ApiResponse)]
pub enum RegisterUserAnswer {
    /// The user was created as a standard customer. `Location` is the user's URI (which
    /// admins `PATCH`); read your own account with `GET /v1/users/me`.
    #[oai(status = 201)]
    Created(Json<UserResponse>, #[oai(header = "Location")] String),
}

#[derive(ApiResponse)]
pub enum UserAnswer {
    /// The user.
    #[oai(status = 200)]
    Ok(Json<UserResponse>),
}

#[OpenApi(tag = "ApiTags::Users")]
impl UsersApi {
    /// Sign up
    ///
    /// Creates a `standard` `customer`. Anyone may; a token, if sent, is ignored. Log in
    /// afterwards with `POST /v1/auth/token`. Sign-ups from one client address are
    /// limited (100 per hour by default, valid ones counted whether created or taken).
    #[oai(path = "/v1/users", method = "post", operation_id = "registerUser")]
    async fn register_user(
        &self,
        request: &Request,
        body: JsonBody<RegisterUserRequest>,
    ) -> Result<RegisterUserAnswer, ApiError<RegisterUserErrors>> {
        let registration = body.0.try_into_domain()?;
        let attempt = self.limits.registrations.take(self.limits.address_of(request))?;
        let outcome = self.service.register(registration).await;
        let user = attempt.settle(outcome, |outcome| !matches!(outcome, Err(RegisterError::Backend(_))))?;
        let location = user_location(user.id.as_uuid());
        Ok(RegisterUserAnswer::Created(Json(user.into()), location))
    }

    /// Your account
    ///
    /// The user the token was issued to, as stored now (tier and role are current).
    #[oai(path = "/v1/users/me", method = "get", operation_id = "getMe")]
    async fn get_me(&self, caller: Caller) -> Result<UserAnswer, ApiError<GetMeErrors>> {
        let user = self.service.current_user(caller.id()).await?;
        Ok(UserAnswer::Ok(Json(user.into())))
    }

    /// Change a user's tier or role
    ///
    /// Admins only. Absent fields are left as they are; an empty object changes nothing
    /// and answers the user. The change applies to the user's next request, tokens
    /// already issued included.
    #[oai(path = "/v1/users/:id", method = "patch", operation_id = "updateUser")]
    async fn update_user(
        &self,
        caller: Caller,
        /// The user's id.
        id: Path<UuidText>,
        body: JsonBody<UpdateUserRequest>,
    ) -> Result<UserAnswer, ApiError<UpdateUserErrors>> {
        let id = UserId::from_uuid(id.parse("id")?);
        let change = body.0.into_domain();
        let user = self.service.update_user(&caller.actor(&self.service).await?, id, change).await?;
        Ok(UserAnswer::Ok(Json(user.into())))
    }
}
