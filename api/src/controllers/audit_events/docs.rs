//! The documented shapes of `GET /v1/audit-events` bodies, for the OpenAPI document only (the
//! handler writes raw JSON; see `view` in `mod.rs`).

// Built by the document's schema functions only, never as values.
#![allow(dead_code)]

use utoipa::ToSchema;

/// How a request ended.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Outcome {
    /// Answered 2xx or 3xx.
    Allowed,
    /// Refused by authentication or policy (401, 403).
    Denied,
    /// Any other error.
    Failed,
    /// Dropped by the client before it was answered (status 499).
    Cancelled,
}

/// One audit event: who did what to which path, and how it ended. Never a body, query string,
/// header or token.
#[derive(ToSchema)]
#[schema(example = json!({
    "id": 42,
    "created": "2026-01-31T12:00:00.123456",
    "request_id": "req-6f1c2a7e-1d2b-4c3d-8e9f-0a1b2c3d4e5f",
    "project_id": "p1",
    "user_id": "alice",
    "action": "secret:decrypt",
    "method": "GET",
    "route": "/v1/secrets/{id}/payload",
    "target": "/v1/secrets/0b0f5a3c-6a57-4a8e-9d4e-0f9d2b1c7e11/payload",
    "status": 200,
    "outcome": "allowed"
}))]
pub struct AuditEvent {
    /// Increases with every event.
    pub id: i64,
    /// When the request was answered: naive UTC ISO 8601, as Barbican writes times.
    #[schema(pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$")]
    pub created: String,
    /// The request's `x-openstack-request-id`.
    #[schema(required = true)]
    pub request_id: Option<String>,
    /// The caller's project (`null` when the request was refused before one was known).
    #[schema(required = true)]
    pub project_id: Option<String>,
    #[schema(required = true)]
    pub user_id: Option<String>,
    /// The policy rule (e.g. `secret:decrypt`), or `<METHOD> <route>` where no rule applies.
    pub action: String,
    pub method: String,
    /// The route template, e.g. `/v1/secrets/{id}`.
    pub route: String,
    /// The path acted on; for a create, the new resource's path.
    pub target: String,
    /// The HTTP status answered.
    pub status: i32,
    pub outcome: Outcome,
}

/// A page of audit events, oldest first.
#[derive(ToSchema)]
pub struct AuditEventList {
    pub audit_events: Vec<AuditEvent>,
    /// How many events match, over every page.
    pub total: i64,
    /// The next page, when there is one.
    #[schema(format = "uri")]
    pub next: Option<String>,
    /// The previous page, when this one is not the first.
    #[schema(format = "uri")]
    pub previous: Option<String>,
}
