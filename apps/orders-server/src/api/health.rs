//! Liveness and readiness: `/health` answers while the process runs, `/ready` only
//! while the database answers too.

use super::ApiTags;
use super::dto::health::{HealthResponse, HealthStatus};
use super::errors::operations::ReadyErrors;
use super::errors::{ApiError, NotReady};
use orders_adapters::Store;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

pub struct HealthApi {
    pub store: Store,
}

#[derive(ApiResponse)]
pub enum HealthAnswer {
    /// `{"status": "ok"}`.
    #[oai(status = 200)]
    Ok(Json<HealthResponse>),
}

fn ok() -> HealthAnswer {
    HealthAnswer::Ok(Json(HealthResponse { status: HealthStatus::Ok }))
}

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// Liveness
    ///
    /// `200` while the process runs, whether or not its database answers.
    #[oai(path = "/health", method = "get", operation_id = "health")]
    async fn health(&self) -> HealthAnswer {
        ok()
    }

    /// Readiness
    ///
    /// `200` when the database answers a ping now, else `503` `not_ready`: take the
    /// process out of a load balancer's rotation until it is ready again.
    #[oai(path = "/ready", method = "get", operation_id = "ready")]
    async fn ready(&self) -> Result<HealthAnswer, ApiError<ReadyErrors>> {
        self.store.ping().await.map_err(NotReady)?;
        Ok(ok())
    }
}
