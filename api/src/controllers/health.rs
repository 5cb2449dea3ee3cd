//! `GET /health/live` and `GET /health/ready`: probes for load balancers and orchestrators, beside
//! Barbican's `GET /healthcheck`. Neither needs a project or a role. The checks are in
//! [`crate::health`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::health::readiness;
use crate::state::AppState;

/// Liveness probe
///
/// 200 while the process serves requests. It checks nothing else, so a database outage does not
/// get the process restarted. No credentials needed.
#[utoipa::path(
    get,
    path = "/health/live",
    tag = "operations",
    operation_id = "health_live",
    responses((status = 200, description = "Alive.", body = Live, example = json!({"status": "alive"})))
)]
pub async fn live() -> Response {
    (StatusCode::OK, Json(json!({"status": "alive"}))).into_response()
}

/// Readiness probe
///
/// 200 when the database answers, its migrations are applied and this process's job workers (if
/// it runs any) are running; else 503. The body names each check's result (never an error's
/// text: the endpoint needs no credentials).
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "operations",
    operation_id = "health_ready",
    responses(
        (status = 200, description = "Ready.", body = Readiness,
            example = json!({"status": "ready", "checks": {"database": "ok", "migrations": "ok", "workers": "ok"}, "failed": []})),
        (status = 503, description = "Not ready: `failed` names the failed checks.", body = Readiness,
            example = json!({"status": "not_ready", "checks": {"database": "fail", "migrations": "skipped", "workers": "ok"}, "failed": ["database"]})),
    )
)]
pub async fn ready(State(app): State<AppState>) -> Response {
    let r = readiness(&app).await;
    let status = if r.is_ready() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(r.to_json())).into_response()
}

/// `GET /health/live`'s body.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documented only
struct Live {
    /// `alive`.
    status: String,
}

/// A check's result.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // documented only
enum CheckResult {
    Ok,
    Fail,
    /// Not run, because a check it depends on failed.
    Skipped,
    /// Does not apply to this process (`workers`, in `portcullis api`).
    NotRun,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documented only
struct Checks {
    database: CheckResult,
    migrations: CheckResult,
    workers: CheckResult,
}

/// `GET /health/ready`'s body.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documented only
struct Readiness {
    /// `ready` or `not_ready`.
    status: String,
    checks: Checks,
    /// The checks that failed.
    failed: Vec<String>,
    /// The job queues whose workers stopped, when any did.
    #[schema(nullable = false)]
    stopped_queues: Option<Vec<String>>,
}
