//! The documented shapes of `/v1/admin/certificate-requests` bodies, for the OpenAPI document
//! only (the handlers build and read raw JSON, see [`super::request_view`] and [`super::decide`]).

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::controllers::orders::docs::with_keywords;

/// A certificate request as an operator sees it: public material only (the CSR, never a key).
#[derive(ToSchema)]
#[schema(example = json!({
    "order_ref": "http://localhost:9311/v1/orders/0a6d889e-2e50-4054-8f81-f60810dd9a05",
    "project_id": "p1",
    "ca_ref": "http://localhost:9311/v1/cas/71da4298-51c6-440e-b7bd-cb9eb3ff279c",
    "request_type": "custom", "subject_dn": "CN=www.example.com", "profile": null,
    "step": "wait", "ca_status": "HELD", "ca_reason": null,
    "csr": "-----BEGIN CERTIFICATE REQUEST-----\nMIHIMG8CAQAwDTELMAkGA1UEAwwC...\n-----END CERTIFICATE REQUEST-----\n",
    "created": "2026-11-25T01:37:07.680375", "updated": "2026-11-25T01:37:07.746705"
}))]
pub struct CertificateRequest {
    /// The certificate order this request belongs to.
    pub order_ref: String,
    /// The order's project.
    pub project_id: String,
    /// The CA the request is sent to.
    pub ca_ref: String,
    /// `custom`, `stored-key` or `simple-cmc`.
    #[schema(example = "custom")]
    pub request_type: String,
    #[schema(required = true)]
    pub subject_dn: Option<String>,
    #[schema(required = true)]
    pub profile: Option<String>,
    /// The order's next step: `key`, `csr`, `submit`, `wait` (the CA holds the request),
    /// `store`, `done`.
    #[schema(example = "wait")]
    pub step: String,
    /// What the CA has decided: null before the request reaches it, then `HELD`, `APPROVED`,
    /// `REJECTED` or `ISSUED`.
    #[schema(required = true, example = "HELD")]
    pub ca_status: Option<String>,
    /// The admin's reason for a rejection.
    #[schema(required = true)]
    pub ca_reason: Option<String>,
    /// The PKCS#10 request, PEM (null until it is built).
    #[schema(required = true)]
    pub csr: Option<String>,
    /// UTC, `YYYY-MM-DDTHH:MM:SS.ffffff`, no offset.
    pub created: String,
    pub updated: String,
}

/// A page of certificate requests, oldest first.
#[derive(ToSchema)]
#[schema(example = json!({"certificate_requests": [{
    "order_ref": "http://localhost:9311/v1/orders/0a6d889e-2e50-4054-8f81-f60810dd9a05",
    "project_id": "p1",
    "ca_ref": "http://localhost:9311/v1/cas/71da4298-51c6-440e-b7bd-cb9eb3ff279c",
    "request_type": "custom", "subject_dn": "CN=www.example.com", "profile": null,
    "step": "wait", "ca_status": "HELD", "ca_reason": null,
    "csr": "-----BEGIN CERTIFICATE REQUEST-----\nMIHIMG8CAQAwDTELMAkGA1UEAwwC...\n-----END CERTIFICATE REQUEST-----\n",
    "created": "2026-11-25T01:37:07.680375", "updated": "2026-11-25T01:37:07.746705"
}], "total": 3, "next": "http://localhost:9311/v1/admin/certificate-requests?limit=1&offset=1&ca_status=HELD"}))]
pub struct CertificateRequestList {
    pub certificate_requests: Vec<CertificateRequest>,
    /// How many requests have this `ca_status`, in all.
    pub total: i64,
    /// The next page, when there is one (it keeps `ca_status`).
    #[schema(nullable = false)]
    pub next: Option<String>,
    /// The previous page, when this one is not the first.
    #[schema(nullable = false)]
    pub previous: Option<String>,
}

/// The filter of `GET /v1/admin/certificate-requests` (with
/// [`crate::openapi::PageParams`]).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaStatusFilter {
    /// The requests with this CA status, compared without case; `HELD` (awaiting a decision)
    /// when absent. Another value is a 400.
    #[param(inline, nullable = false)]
    pub ca_status: Option<CaStatus>,
}

/// Where the CA is with a request.
#[derive(ToSchema)]
#[schema(rename_all = "UPPERCASE")]
pub enum CaStatus {
    Held,
    Approved,
    Rejected,
    Issued,
}

/// The optional body of `POST .../{order_id}/reject`: [`RejectionFields`], nothing else.
pub struct Rejection;

impl PartialSchema for Rejection {
    fn schema() -> RefOr<Schema> {
        with_keywords(RejectionFields::schema(), serde_json::json!({"additionalProperties": false}))
    }
}

impl ToSchema for Rejection {}

/// Why a request is rejected. No other property is accepted.
#[derive(ToSchema)]
#[schema(example = json!({"reason": "Not a domain we serve."}))]
pub struct RejectionFields {
    /// Why the request is rejected; the order's `error_reason` will say it. Stripped of
    /// surrounding whitespace.
    #[schema(max_length = 255)]
    pub reason: Option<String>,
}
