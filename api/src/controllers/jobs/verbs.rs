//! `POST /v1/admin/jobs/{id}/retry`, `POST /v1/admin/jobs/{id}/cancel`, `DELETE
//! /v1/admin/jobs/{id}` (discard). Each answers 200 with the job as it is now (for a discard: as
//! it was) and its order's status; 404 for an unknown job, 409 for a verb that does not fit its
//! state (see `portcullis_jobs::admin` for what each verb allows and does to the order).

use axum::Json;
use axum::extract::State;
use portcullis_jobs::admin::{self, Applied};
use serde_json::Value;

use super::job_view;
use crate::context::{Caller, Hrefs};
use crate::controllers::path::IdPath;
use crate::error::ApiResult;
use crate::state::AppState;

/// Retry a failed job (admin)
///
/// A Failed or Killed job runs again from its first attempt; its order, if in ERROR, goes back
/// to PENDING. No request body.
#[utoipa::path(
    post,
    path = "/v1/admin/jobs/{id}/retry",
    tag = "admin-jobs",
    operation_id = "admin_job_retry",
    params(("id" = String, Path, description = "The job's id (a ULID).")),
    responses(
        (status = 200, description = "The job, queued again.", body = super::docs::JobAfterVerb),
        (status = 404, description = "No such job.", body = crate::openapi::ErrorBody),
        (status = 409, description = "The verb does not fit the job's (or its order's) state.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn retry(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
) -> ApiResult<Json<Value>> {
    caller.authorize(crate::policy::Action::AdminJobsManage, None)?;
    let applied = admin::retry(&app.db, &id).await?;
    tracing::info!(job = %id, order_id = ?applied.job.order_id, reopened = applied.order_changed, "job retried by an operator");
    Ok(Json(body(&hrefs, &applied)))
}

/// Cancel a waiting job (admin)
///
/// A Pending or Queued job (one no worker runs) is killed; its order, if PENDING, goes to
/// ERROR. No request body.
#[utoipa::path(
    post,
    path = "/v1/admin/jobs/{id}/cancel",
    tag = "admin-jobs",
    operation_id = "admin_job_cancel",
    params(("id" = String, Path, description = "The job's id (a ULID).")),
    responses(
        (status = 200, description = "The job, killed.", body = super::docs::JobAfterVerb),
        (status = 404, description = "No such job.", body = crate::openapi::ErrorBody),
        (status = 409, description = "The verb does not fit the job's (or its order's) state.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn cancel(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
) -> ApiResult<Json<Value>> {
    caller.authorize(crate::policy::Action::AdminJobsManage, None)?;
    let applied = admin::cancel(&app.db, &id).await?;
    tracing::info!(job = %id, order_id = ?applied.job.order_id, failed = applied.order_changed, "job cancelled by an operator");
    Ok(Json(body(&hrefs, &applied)))
}

/// Discard a finished job (admin)
///
/// Removes a Done or Killed job's row.
#[utoipa::path(
    delete,
    path = "/v1/admin/jobs/{id}",
    tag = "admin-jobs",
    operation_id = "admin_job_discard",
    params(("id" = String, Path, description = "The job's id (a ULID).")),
    responses(
        (status = 200, description = "The job as it was.", body = super::docs::JobAfterVerb),
        (status = 404, description = "No such job.", body = crate::openapi::ErrorBody),
        (status = 409, description = "The verb does not fit the job's (or its order's) state.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn discard(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
) -> ApiResult<Json<Value>> {
    caller.authorize(crate::policy::Action::AdminJobsManage, None)?;
    let applied = admin::discard(&app.db, &id).await?;
    tracing::info!(job = %id, "job discarded by an operator");
    Ok(Json(body(&hrefs, &applied)))
}

/// The job's view plus `order_status` (the order after the verb; null without a live order).
fn body(hrefs: &Hrefs, applied: &Applied) -> Value {
    let mut v = job_view(hrefs, &applied.job);
    v["order_status"] = applied.order_status.clone().into();
    v
}
