//! `POST /v1/admin/certificate-requests/{order_id}/approve` and `.../reject` (body optional:
//! `{"reason": "..."}`). 404 for an order with no live certificate request; 409 for a request
//! the CA is not holding (already decided, or signed at once).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use portcullis_jobs::{CertificateStepTask, EnqueueOptions};
use portcullis_store::certificate_requests::{self as requests, ca_status};
use portcullis_store::{Timestamp, orders};
use serde_json::Value;

use super::{docs, request_view};
use crate::context::{Caller, Hrefs};
use crate::controllers::path::IdPath;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const MAX_REASON_CHARS: usize = 255;

/// Approve a held certificate request.
///
/// The CA signs it and the order goes ACTIVE (its next step is queued at once). Admin only; any
/// body is ignored.
#[utoipa::path(
    post,
    path = "/v1/admin/certificate-requests/{order_id}/approve",
    tag = "certificate-requests",
    operation_id = "certificate_request_approve",
    params(("order_id" = String, Path, format = Uuid, description = "The certificate order's id.")),
    responses(
        (status = 200, description = "The request, now `APPROVED`.", body = docs::CertificateRequest),
        (status = 404, description = "No live certificate order has this id (`Certificate request not found.`).",
            body = crate::openapi::ErrorBody),
        (status = 409, description = "The CA is not holding this request: it is decided already, or was signed at \
            once.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn approve(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
) -> ApiResult<Json<Value>> {
    decide(&app, &caller, &hrefs, &id, ca_status::APPROVED, None).await
}

/// Reject a held certificate request.
///
/// The order ends in ERROR, its `error_reason` giving the reason. Admin only. The body is read
/// whatever its `Content-Type`.
#[utoipa::path(
    post,
    path = "/v1/admin/certificate-requests/{order_id}/reject",
    tag = "certificate-requests",
    operation_id = "certificate_request_reject",
    params(("order_id" = String, Path, format = Uuid, description = "The certificate order's id.")),
    request_body(
        content = Option<docs::Rejection>,
        content_type = "application/json",
        description = "Optional: a JSON object with at most a `reason`. No body, a blank one and `null` give no \
            reason.",
    ),
    responses(
        (status = 200, description = "The request, now `REJECTED`.", body = docs::CertificateRequest),
        (status = 400, description = "The body is not a JSON object with only an optional string `reason` of at most \
            255 characters.",
            body = crate::openapi::ErrorBody),
        (status = 404, description = "No live certificate order has this id (`Certificate request not found.`).",
            body = crate::openapi::ErrorBody),
        (status = 409, description = "The CA is not holding this request: it is decided already, or was signed at \
            once.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn reject(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    caller.authorize(crate::policy::Action::CertificateRequestDecide, None)?;
    let reason = reason(&body)?;
    decide(&app, &caller, &hrefs, &id, ca_status::REJECTED, reason).await
}

/// The optional `reason` of a rejection. No body, a blank one and JSON `null` all give none.
fn reason(body: &[u8]) -> ApiResult<Option<String>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let bad = || ApiError::BadRequest("The body must be a JSON object with an optional string 'reason'.".into());
    let value: Value = serde_json::from_slice(body).map_err(|_| bad())?;
    if value.is_null() {
        return Ok(None);
    }
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
    let not_found = super::not_found;
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
    portcullis_jobs::enqueue(&mut tx, &task, opts).await?;
    let request = requests::find(&mut tx, order_id).await?.ok_or_else(not_found)?;
    tx.commit().await?;
    tracing::info!(%order_id, decision = status, "certificate request decided");
    Ok(Json(request_view(hrefs, &request)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_optional() {
        for none in [&b""[..], b"  \n", b"null", b"{}", br#"{"reason": null}"#] {
            assert_eq!(reason(none).unwrap(), None, "{}", String::from_utf8_lossy(none));
        }
        assert_eq!(reason(br#"{"reason": " not ours "}"#).unwrap().as_deref(), Some("not ours"));
        for bad in [&b"[]"[..], b"\"x\"", br#"{"reason": 7}"#, br#"{"why": "x"}"#, b"{"] {
            assert!(reason(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert!(reason(format!(r#"{{"reason": "{}"}}"#, "x".repeat(256)).as_bytes()).is_err());
    }
}
