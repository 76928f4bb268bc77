//! Users on the wire: who signs up, who they are, and an admin's change of access.

use super::documented::{EmailAddress, NewPassword};
use crate::api::body::non_null;
use chrono::{DateTime, Utc};
use orders_core::domain::{Role, Tier, User, Violations};
use orders_core::ports::AccessChange;
use orders_core::usecases::Registration;
use poem_openapi::{Enum, Object};
use serde::Deserialize;
use uuid::Uuid;

/// A sign-up.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(rename = "Registration")]
pub struct RegisterUserRequest {
    /// A valid e-mail address of at most 254 characters; compared case-insensitively
    /// and stored lower-cased.
    pub email: EmailAddress,
    /// 8 to 128 characters, counted after Unicode normalisation to NFC. The password is
    /// normalised to NFC before it is hashed and whenever it is checked, so `é` typed as
    /// one code point or as `e` and a combining accent is one password.
    pub password: NewPassword,
    /// At most 200 characters; no control characters, bidirectional overrides or
    /// isolates, and not only white space; absent: no name.
    #[oai(validator(
        max_length = 200,
        pattern = r"^([^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\s\u200B-\u200D\u2060\uFEFF][^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*)?$"
    ))]
    #[serde(default, deserialize_with = "non_null")]
    pub full_name: Option<String>,
}

impl RegisterUserRequest {
    pub fn try_into_domain(self) -> Result<Registration, Violations> {
        Registration::parse(&self.email.0, &self.password.0, self.full_name.as_deref())
    }
}

/// A change of a user's tier or role; an absent field is left as it is.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(rename = "UserAccessChange")]
pub struct UpdateUserRequest {
    #[serde(default, deserialize_with = "non_null")]
    pub tier: Option<TierDto>,
    #[serde(default, deserialize_with = "non_null")]
    pub role: Option<RoleDto>,
}

impl UpdateUserRequest {
    pub fn into_domain(self) -> AccessChange {
        AccessChange { tier: self.tier.map(Tier::from), role: self.role.map(Role::from) }
    }
}

/// What a user pays: `premium` users get 10% off every order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename = "Tier", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum TierDto {
    Standard,
    Premium,
}

/// What a user may do: `admin`s manage products and users and see every order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename = "Role", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum RoleDto {
    Customer,
    Admin,
}

impl From<TierDto> for Tier {
    fn from(tier: TierDto) -> Self {
        match tier {
            TierDto::Standard => Tier::Standard,
            TierDto::Premium => Tier::Premium,
        }
    }
}

impl From<Tier> for TierDto {
    fn from(tier: Tier) -> Self {
        match tier {
            Tier::Standard => TierDto::Standard,
            Tier::Premium => TierDto::Premium,
        }
    }
}

impl From<RoleDto> for Role {
    fn from(role: RoleDto) -> Self {
        match role {
            RoleDto::Customer => Role::Customer,
            RoleDto::Admin => Role::Admin,
        }
    }
}

impl From<Role> for RoleDto {
    fn from(role: Role) -> Self {
        match role {
            Role::Customer => RoleDto::Customer,
            Role::Admin => RoleDto::Admin,
        }
    }
}

/// A registered user.
#[derive(Debug, Clone, Object)]
#[oai(rename = "User")]
pub struct UserResponse {
    pub id: Uuid,
    /// Lower-cased.
    pub email: String,
    #[oai(nullable)]
    pub full_name: Option<String>,
    pub tier: TierDto,
    pub role: RoleDto,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserResponse {
    fn from(user: User) -> Self {
        Self {
            id: user.id.as_uuid(),
            email: user.email.as_str().to_owned(),
            full_name: user.full_name.map(|name| name.as_str().to_owned()),
            tier: user.tier.into(),
            role: user.role.into(),
            created_at: user.created_at,
        }
    }
}
