//! Operations endpoints: liveness, readiness, metrics.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::kernel::tags::CoreTags;
use crate::state::AppState;

pub struct OpsApi;

#[derive(Object)]
struct Health {
    /// `ok`.
    status: String,
}

#[derive(Object)]
struct Readiness {
    /// `ready` or `not_ready`.
    status: String,
    /// `ok` or `unreachable`.
    database: String,
    /// `ok`, `unreachable`, or `not_configured` (Redis is optional).
    redis: String,
}

#[derive(ApiResponse)]
enum ReadinessResponse {
    /// Every dependency answers.
    #[oai(status = 200)]
    Ready(Json<Readiness>),
    /// A dependency is down; take this replica out of rotation.
    #[oai(status = 503)]
    NotReady(Json<Readiness>),
}

#[OpenApi(tag = "CoreTags::Operations")]
impl OpsApi {
    /// Liveness: the process answers. Checks no dependency. No authentication.
    #[oai(path = "/health", method = "get")]
    async fn health(&self) -> Json<Health> {
        Json(Health {
            status: "ok".into(),
        })
    }

    /// Readiness: PostgreSQL (and Redis, when configured) answer within 2 seconds (503
    /// otherwise). No authentication.
    #[oai(path = "/readiness", method = "get")]
    async fn readiness(&self, state: Data<&Arc<AppState>>) -> ReadinessResponse {
        let timeout = std::time::Duration::from_secs(2);
        let db_ok = tokio::time::timeout(timeout, state.db.ping())
            .await
            .is_ok_and(|r| r.is_ok());
        let redis = match &state.redis {
            None => None,
            Some(r) => Some(
                tokio::time::timeout(timeout, r.ping())
                    .await
                    .unwrap_or(false),
            ),
        };
        let ok = db_ok && redis != Some(false);
        let body = Readiness {
            status: if ok { "ready" } else { "not_ready" }.into(),
            database: if db_ok { "ok" } else { "unreachable" }.into(),
            redis: match redis {
                None => "not_configured",
                Some(true) => "ok",
                Some(false) => "unreachable",
            }
            .into(),
        };
        if ok {
            ReadinessResponse::Ready(Json(body))
        } else {
            ReadinessResponse::NotReady(Json(body))
        }
    }

    /// Prometheus metrics: `http_requests_total` and `http_request_duration_seconds` by method,
    /// route template and status; `db_pool_connections` gauges. No authentication; expose it
    /// only inside the cluster.
    #[oai(path = "/metrics", method = "get")]
    async fn metrics(&self, state: Data<&Arc<AppState>>) -> PlainText<String> {
        let (size, idle, max) = state.db.pool_stats();
        metrics::gauge!("db_pool_connections", "state" => "open").set(f64::from(size));
        metrics::gauge!("db_pool_connections", "state" => "idle").set(idle as f64);
        metrics::gauge!("db_pool_connections", "state" => "max").set(f64::from(max));
        PlainText(
            state
                .metrics
                .as_ref()
                .map(|h| h.render())
                .unwrap_or_default(),
        )
    }
}
