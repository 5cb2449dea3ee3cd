//! `/v1/admin/jobs`: the durable jobs of every queue, and an operator's verbs on one. Admin role
//! only. The work is done by `portcullis_jobs::admin`, which `portcullis jobs` shares.
//!
//! - `GET /v1/admin/jobs[?queue=Q&status=S&order_id=U&limit=&offset=]`: newest first, paged as
//!   other lists (`next`/`previous`/`total`).
//! - `GET /v1/admin/jobs/{id}`: one job; 404 for an unknown id.
//!
//! # Layout
//! - this file: the list, one job, and the view of a job.
//! - [`verbs`]: `POST .../{id}/retry`, `POST .../{id}/cancel`, `DELETE .../{id}` (discard).
//! - `docs.rs`: the bodies as documented types, for the OpenAPI document.

mod docs;
pub mod verbs;

use axum::Json;
use axum::extract::{Query, State};
use portcullis_jobs::admin::{self, AdminError, JobFilter, JobView};
use serde_json::{Map, Value, json};

use crate::context::{Caller, Hrefs};
use crate::controllers::paging::{add_nav, nav_query, page_from};
use crate::controllers::path::IdPath;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// List jobs (admin)
///
/// The durable jobs of every queue, newest first, paged. Empty filter values are ignored.
#[utoipa::path(
    get,
    path = "/v1/admin/jobs",
    tag = "admin-jobs",
    operation_id = "admin_jobs_list",
    params(
        crate::openapi::PageParams,
        ("queue" = Option<String>, Query, description = "Only jobs of this queue (e.g. `orders`)."),
        ("status" = Option<String>, Query, description = "Only jobs in this state (any case).",
            pattern = r"^[ \t]*([Pp][Ee][Nn][Dd][Ii][Nn][Gg]|[Qq][Uu][Ee][Uu][Ee][Dd]|[Rr][Uu][Nn][Nn][Ii][Nn][Gg]|[Dd][Oo][Nn][Ee]|[Ff][Aa][Ii][Ll][Ee][Dd]|[Kk][Ii][Ll][Ll][Ee][Dd])?[ \t]*$"),
        ("order_id" = inline(Option<crate::openapi::UuidFilter>), Query, description = "Only the jobs of this order."),
    ),
    responses(
        (status = 200, description = "A page of jobs.", body = docs::JobList, links(
            ("show" = (operation_id = "admin_job_get", parameters(("id" = "$response.body#/jobs/0/id")))),
            ("retry" = (operation_id = "admin_job_retry", parameters(("id" = "$response.body#/jobs/0/id")))),
            ("cancel" = (operation_id = "admin_job_cancel", parameters(("id" = "$response.body#/jobs/0/id")))),
            ("discard" = (operation_id = "admin_job_discard", parameters(("id" = "$response.body#/jobs/0/id")))),
        )),
        (status = 400, description = "`status` is not a job state, or `order_id` not an order id.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Query(params): Query<Vec<(String, String)>>,
) -> ApiResult<Json<Map<String, Value>>> {
    caller.authorize(crate::policy::Action::AdminJobsGet, None)?;
    let filter = filter_from(&params)?;
    let page = page_from(&params);
    let (jobs, total) = admin::list(&mut app.db.acquire().await?, &filter, page).await?;
    let mut body = Map::new();
    body.insert("jobs".into(), jobs.iter().map(|j| job_view(&hrefs, j)).collect());
    add_nav(&mut body, "jobs", &hrefs, "admin/jobs", &nav_query(&params), page, total);
    Ok(Json(body))
}

/// Show a job (admin)
#[utoipa::path(
    get,
    path = "/v1/admin/jobs/{id}",
    tag = "admin-jobs",
    operation_id = "admin_job_get",
    params(("id" = String, Path, description = "The job's id (a ULID).")),
    responses(
        (status = 200, description = "The job.", body = docs::Job),
        (status = 404, description = "No such job.", body = crate::openapi::ErrorBody),
    )
)]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
) -> ApiResult<Json<Value>> {
    caller.authorize(crate::policy::Action::AdminJobsGet, None)?;
    let job = admin::find(&mut app.db.acquire().await?, &id).await?.ok_or_else(not_found)?;
    Ok(Json(job_view(&hrefs, &job)))
}

/// The filters of the list: `queue` (any name), `status` (a job state, any case), `order_id`.
fn filter_from(params: &[(String, String)]) -> ApiResult<JobFilter> {
    let get = |k: &str| params.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
    let status = match get("status") {
        None => None,
        Some(s) => Some(
            admin::canonical_status(s)
                .ok_or_else(|| ApiError::BadRequest(format!("status must be one of {}", admin::STATUSES.join(", "))))?,
        ),
    };
    let order_id = match get("order_id") {
        None => None,
        Some(s) => {
            Some(uuid::Uuid::try_parse(s).map_err(|_| ApiError::BadRequest("order_id must be an order's id".into()))?)
        }
    };
    Ok(JobFilter { queue: get("queue").map(str::to_owned), status: status.map(str::to_owned), order_id })
}

/// A job as an operator sees it: ids and states only (payloads never carry secret material).
pub fn job_view(hrefs: &Hrefs, j: &JobView) -> Value {
    json!({
        "id": j.id,
        "job_ref": hrefs.url(&format!("v1/admin/jobs/{}", j.id)),
        "queue": j.queue,
        "status": j.status,
        "attempts": j.attempts,
        "max_attempts": j.max_attempts,
        "run_at": j.run_at.to_barbican(),
        "lock_by": j.lock_by,
        "lock_at": j.lock_at.map(|t| t.to_barbican()),
        "done_at": j.done_at.map(|t| t.to_barbican()),
        "last_result": j.last_result,
        "error": j.error,
        "idempotency_key": j.idempotency_key,
        "payload": j.payload,
        "order_ref": j.order_id.map(|id| hrefs.order(&id)),
    })
}

pub(crate) fn not_found() -> ApiError {
    ApiError::NotFound("Job not found.".into())
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::NotFound => not_found(),
            AdminError::Conflict(m) => ApiError::Conflict(m),
            AdminError::Db(e) => e.into(),
        }
    }
}
