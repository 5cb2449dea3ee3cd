//! `/v1/admin/certificate-requests`: the requests the local CA holds (`ca_approval = manual`),
//! and an operator's decision on each. Admin role only.
//!
//! A decision is recorded on the request and a `decided` step job is enqueued in the same
//! transaction, so the order moves on at once rather than at its next scheduled check: approved,
//! the CA signs and the order goes ACTIVE; rejected, the order ends in ERROR with the reason.
//!
//! # Layout
//! - this file: the list and the view of one request.
//! - [`decide`]: `POST .../{order_id}/approve` and `POST .../{order_id}/reject`.
//! - [`docs`]: the documented request and response bodies (OpenAPI only).

pub mod decide;
pub mod docs;

use axum::Json;
use axum::extract::{Query, State};
use portcullis_store::certificate_requests::{self as requests, CertificateRequest, ca_status};
use serde_json::{Map, Value, json};

use crate::context::{Caller, Hrefs};
use crate::controllers::paging::{add_nav, page_from};
use crate::error::{ApiError, ApiResult};
use crate::openapi::PageParams;
use crate::state::AppState;

const STATUSES: [&str; 4] = [ca_status::HELD, ca_status::APPROVED, ca_status::REJECTED, ca_status::ISSUED];

/// List certificate requests.
///
/// The requests the local CA holds for an admin's decision (`ca_approval = manual`), or those
/// with another `ca_status`, of every project, oldest first, a page at a time. Admin only.
#[utoipa::path(
    get,
    path = "/v1/admin/certificate-requests",
    tag = "certificate-requests",
    operation_id = "certificate_requests_list",
    params(docs::CaStatusFilter, PageParams),
    responses(
        (status = 200, description = "A page of requests, with links to the pages around it.",
            body = docs::CertificateRequestList),
        (status = 400, description = "`ca_status` is not one of `HELD`, `APPROVED`, `REJECTED`, `ISSUED`.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Query(params): Query<Vec<(String, String)>>,
) -> ApiResult<Json<Map<String, Value>>> {
    caller.authorize(crate::policy::Action::CertificateRequestsGet, None)?;
    let status = params.iter().rev().find(|(k, _)| k == "ca_status").map_or("HELD", |(_, v)| v.as_str());
    let status = STATUSES
        .iter()
        .find(|s| s.eq_ignore_ascii_case(status))
        .ok_or_else(|| ApiError::BadRequest(format!("ca_status must be one of {}", STATUSES.join(", "))))?;
    let page = page_from(&params);
    let (rows, total) = requests::list_by_ca_status(&mut app.db.acquire().await?, status, page).await?;
    let mut body = Map::new();
    body.insert("certificate_requests".into(), rows.iter().map(|r| request_view(&hrefs, r)).collect());
    let query = format!("&ca_status={status}");
    add_nav(&mut body, "certificate_requests", &hrefs, "admin/certificate-requests", &query, page, total);
    Ok(Json(body))
}

/// A request as an operator sees it: public material only (the CSR, never a key).
pub fn request_view(hrefs: &Hrefs, r: &CertificateRequest) -> Value {
    json!({
        "order_ref": hrefs.order(&r.order_id),
        "project_id": r.project_id,
        "ca_ref": hrefs.ca(&r.ca_id),
        "request_type": r.request_type,
        "subject_dn": r.subject_dn,
        "profile": r.profile,
        "step": r.step,
        "ca_status": r.ca_status,
        "ca_reason": r.ca_reason,
        "csr": r.csr,
        "created": r.created_at.to_barbican(),
        "updated": r.updated_at.to_barbican(),
    })
}

/// The 404 for an order that is no certificate request (or none held).
pub(crate) fn not_found() -> ApiError {
    ApiError::NotFound("Certificate request not found.".into())
}
