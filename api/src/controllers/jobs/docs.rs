//! The documented shapes of `/v1/admin/jobs` bodies, for the OpenAPI document only (the handlers
//! write raw JSON; see `job_view` in `mod.rs`).

// Built by the document's schema functions only, never as values.
#![allow(dead_code)]

use serde_json::Value;
use utoipa::ToSchema;

/// A job's state (apalis's).
#[derive(ToSchema)]
pub enum JobStatus {
    Pending,
    Queued,
    Running,
    Done,
    Failed,
    Killed,
}

/// A durable job as an operator sees it: ids and states only (payloads never carry secret
/// material). Times are naive UTC ISO 8601, as Barbican writes them.
#[derive(ToSchema)]
#[schema(example = json!({
    "id": "01JKQ2V0G8W3Y5Z7A9B1C3D5E7",
    "job_ref": "http://127.0.0.1:9311/v1/admin/jobs/01JKQ2V0G8W3Y5Z7A9B1C3D5E7",
    "queue": "orders",
    "status": "Done",
    "attempts": 1,
    "max_attempts": 5,
    "run_at": "2026-01-31T12:00:00",
    "lock_by": "worker-1f3c",
    "lock_at": "2026-01-31T12:00:00",
    "done_at": "2026-01-31T12:00:01",
    "last_result": {"Ok": null},
    "error": null,
    "idempotency_key": "0b0f5a3c-6a57-4a8e-9d4e-0f9d2b1c7e11",
    "payload": {"order_id": "0b0f5a3c-6a57-4a8e-9d4e-0f9d2b1c7e11"},
    "order_ref": "http://127.0.0.1:9311/v1/orders/0b0f5a3c-6a57-4a8e-9d4e-0f9d2b1c7e11"
}))]
pub struct Job {
    /// The job's id (a ULID).
    pub id: String,
    #[schema(format = "uri")]
    pub job_ref: String,
    /// The queue (job type), e.g. `orders`.
    pub queue: String,
    pub status: JobStatus,
    /// Deliveries so far (including ones cut short by a dead worker).
    pub attempts: i64,
    pub max_attempts: i64,
    /// Not before this time (the next retry, for a Pending job that failed before).
    pub run_at: String,
    /// The worker that fetched it last (kept after it finishes).
    #[schema(required = true)]
    pub lock_by: Option<String>,
    #[schema(required = true)]
    pub lock_at: Option<String>,
    #[schema(required = true)]
    pub done_at: Option<String>,
    /// apalis's result: `{"Ok": ...}` or `{"Err": "..."}`; `null` before the first delivery ends.
    #[schema(required = true)]
    pub last_result: Option<Value>,
    /// The error of `last_result`, if it is one.
    #[schema(required = true)]
    pub error: Option<String>,
    /// `<order id>[:<step>]` for an order's jobs.
    #[schema(required = true)]
    pub idempotency_key: Option<String>,
    /// The job's arguments (ids only).
    pub payload: Value,
    /// The order the job works for, if any.
    #[schema(required = true, format = "uri")]
    pub order_ref: Option<String>,
}

/// A page of jobs, newest first.
#[derive(ToSchema)]
pub struct JobList {
    pub jobs: Vec<Job>,
    /// How many jobs match, over every page.
    pub total: i64,
    /// The next page, when there is one.
    #[schema(format = "uri")]
    pub next: Option<String>,
    /// The previous page, when this one is not the first.
    #[schema(format = "uri")]
    pub previous: Option<String>,
}

/// A verb's answer: the job as it is now (for a discard: as it was), and its order's status.
#[derive(ToSchema)]
pub struct JobAfterVerb {
    #[serde(flatten)]
    pub job: Job,
    /// The job's order's status after the verb (`PENDING`, `ACTIVE`, `ERROR`); `null` without a
    /// live order.
    #[schema(required = true)]
    pub order_status: Option<String>,
}
