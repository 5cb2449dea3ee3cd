//! `POST /v1/admin/certificate-requests/{order_id}/approve` and `.../reject` (body optional:
//! `{"reason": "..."}`). 404 for an order with no live certificate request; 409 for a request
//! the CA is not holding (already decided, or signed at once).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use portcullis_jobs::{CertificateStepTask, EnqueueOptions};
use portcullis_store::certificate_requests::{self as requests, ca_status};
use portcullis_store::{Timestamp, orders};
use serde_json::Value;

use super::request_view;
use crate::context::{Caller, Hrefs};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const MAX_REASON_CHARS: usize = 255;

#[utoipa::path(post, path = "/v1/admin/certificate-requests/{order_id}/approve", tag = "certificate-requests")]
pub async fn approve(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    decide(&app, &caller, &hrefs, &id, ca_status::APPROVED, None).await
}

#[utoipa::path(post, path = "/v1/admin/certificate-requests/{order_id}/reject", tag = "certificate-requests")]
pub async fn reject(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    caller.authorize(crate::policy::Action::CertificateRequestDecide, None)?;
    let reason = reason(&body)?;
    decide(&app, &caller, &hrefs, &id, ca_status::REJECTED, reason).await
}

/// The optional `reason` of a rejection.
fn reason(body: &[u8]) -> ApiResult<Option<String>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let bad = || ApiError::BadRequest("The body must be a JSON object with an optional string 'reason'.".into());
    let value: Value = serde_json::from_slice(body).map_err(|_| bad())?;
    let obj = value.as_object().ok_or_else(bad)?;
    if obj.keys().any(|k| k != "reason") {
        return Err(bad());
    }
    match obj.get("reason") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= MAX_REASON_CHARS => Ok(Some(s.trim().to_owned())),
        Some(Value::String(_)) => {
            Err(ApiError::BadRequest(format!("'reason' must be at most {MAX_REASON_CHARS} characters.")))
        }
        Some(_) => Err(bad()),
    }
}

async fn decide(
    app: &AppState,
    caller: &Caller,
    hrefs: &Hrefs,
    raw_id: &str,
    status: &'static str,
    reason: Option<String>,
) -> ApiResult<Json<Value>> {
    caller.authorize(crate::policy::Action::CertificateRequestDecide, None)?;
    let not_found = || ApiError::NotFound("Certificate request not found.".into());
    let order_id = uuid::Uuid::try_parse(raw_id).map_err(|_| not_found())?;
    let mut tx = app.db.begin().await?;
    let order = orders::find_any_project(&mut tx, order_id).await?.ok_or_else(not_found)?;
    if requests::find(&mut tx, order_id).await?.is_none() {
        return Err(not_found());
    }
    if !requests::decide(&mut tx, order_id, status, reason.as_deref(), Timestamp::now()).await? {
        return Err(ApiError::Conflict("The CA is not holding this certificate request.".into()));
    }
    let task = CertificateStepTask::new(&order, "decided");
    let opts = EnqueueOptions::default().idempotency_key(task.key()).max_attempts(app.config.job_max_attempts);
    portcullis_jobs::enqueue(&mut tx, &task, opts)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("enqueueing the decision: {e}")))?;
    let request = requests::find(&mut tx, order_id).await?.ok_or_else(not_found)?;
    tx.commit().await?;
    tracing::info!(%order_id, decision = status, "certificate request decided");
    Ok(Json(request_view(hrefs, &request)))
}
