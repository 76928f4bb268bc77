//! The answer of `GET /health` and `GET /ready`.

use poem_openapi::{Enum, Object};

/// The process is alive (and, from `/ready`, its database answers).
#[derive(Debug, Clone, Object)]
#[oai(rename = "Health")]
pub struct HealthResponse {
    pub status: HealthStatus,
}

/// Always `ok`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "HealthStatus", rename_all = "lowercase")]
pub enum HealthStatus {
    Ok,
}
