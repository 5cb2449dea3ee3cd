//! `POST /v1/admin/jobs/{id}/retry`, `POST /v1/admin/jobs/{id}/cancel`, `DELETE
//! /v1/admin/jobs/{id}` (discard). Each answers 200 with the job as it is now (for a discard: as
//! it was) and its order's status; 404 for an unknown job, 409 for a verb that does not fit its
//! state (see `portcullis_jobs::admin` for what each verb allows and does to the order).

use axum::Json;
use axum::extract::{Path, State};
use portcullis_jobs::admin::{self, Applied};
use serde_json::Value;

use super::job_view;
use crate::context::{Caller, Hrefs};
use crate::error::ApiResult;
use crate::state::AppState;

#[utoipa::path(post, path = "/v1/admin/jobs/{id}/retry", tag = "admin-jobs")]
pub async fn retry(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.authorize(crate::policy::Action::AdminJobsManage, None)?;
    let applied = admin::retry(&app.db, &id).await?;
    tracing::info!(job = %id, order_id = ?applied.job.order_id, reopened = applied.order_changed, "job retried by an operator");
    Ok(Json(body(&hrefs, &applied)))
}

#[utoipa::path(post, path = "/v1/admin/jobs/{id}/cancel", tag = "admin-jobs")]
pub async fn cancel(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.authorize(crate::policy::Action::AdminJobsManage, None)?;
    let applied = admin::cancel(&app.db, &id).await?;
    tracing::info!(job = %id, order_id = ?applied.job.order_id, failed = applied.order_changed, "job cancelled by an operator");
    Ok(Json(body(&hrefs, &applied)))
}

#[utoipa::path(delete, path = "/v1/admin/jobs/{id}", tag = "admin-jobs")]
pub async fn discard(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Path(id): Path<String>,
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
