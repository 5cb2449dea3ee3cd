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

/// `GET /health/live`: 200 while the process serves requests; it checks nothing else, so a
/// database outage does not get the process restarted.
#[utoipa::path(get, path = "/health/live", tag = "operations")]
pub async fn live() -> Response {
    (StatusCode::OK, Json(json!({"status": "alive"}))).into_response()
}

/// `GET /health/ready`: 200 when the database answers, migrations are applied and this process's
/// job workers (if it runs any) are running; else 503. The body names each check's result.
#[utoipa::path(get, path = "/health/ready", tag = "operations")]
pub async fn ready(State(app): State<AppState>) -> Response {
    let r = readiness(&app).await;
    let status = if r.is_ready() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(r.to_json())).into_response()
}
