//! What operators see of the job tables and the verbs they may apply, shared by the HTTP admin
//! endpoints (`/v1/admin/jobs`) and the `portcullis jobs` subcommand.
//!
//! - [`list`] / [`find`]: job rows as [`JobView`]s (ids only: payloads never carry secrets).
//! - [`retry`]: a Failed/Killed job back to Pending with its attempts reset; its order, if in
//!   ERROR, back to PENDING with the error cleared.
//! - [`cancel`]: a job no worker runs (Pending/Queued) to Killed; its order, if PENDING, to
//!   ERROR with [`CANCELLED_REASON`].
//! - [`discard`]: a finished (Done/Killed) job row deleted.
//!
//! Each verb runs in one transaction with its order update, so a job and its order never
//! disagree: either both moved or neither. A verb that does not fit the job's state is
//! [`AdminError::Conflict`].
//!
//! # Layout
//! - this file: the views, the filters and the verbs with their order updates.
//! - `sql.rs`: the statements on apalis's jobs table, per backend.

mod sql;

use portcullis_store::db::{AsConn, Db, Tx};
pub use portcullis_store::query::Page;
use portcullis_store::{Timestamp, orders, secrets};
use serde::Serialize;
use uuid::Uuid;

use crate::orders::{Failure, fail_order_in};
use crate::{CertificateStepTask, Job, OrderTask};

/// The queues this service runs, in the order the dashboard shows them.
pub const QUEUES: [&str; 2] = [OrderTask::QUEUE, CertificateStepTask::QUEUE];

/// apalis's job states, as stored.
pub const STATUSES: [&str; 6] = ["Pending", "Queued", "Running", "Done", "Failed", "Killed"];

/// What a cancelled job records as its result.
pub const CANCELLED: &str = "cancelled by an operator";

/// The `error_reason` of an order whose job an operator cancelled (Barbican's wording for a
/// failure the client cannot fix; `error_status_code` is "500").
pub const CANCELLED_REASON: &str = "Process TypeOrder failure seen - cancelled by an operator.";

/// One job as operators see it.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    /// The row's id (a ULID).
    pub id: String,
    pub queue: String,
    pub status: String,
    /// Deliveries so far (including ones cut short by a dead worker).
    pub attempts: i64,
    pub max_attempts: i64,
    /// Not before this time (the next retry, for a Pending job that failed before).
    pub run_at: Timestamp,
    /// The worker that fetched it last (kept after it finishes).
    pub lock_by: Option<String>,
    pub lock_at: Option<Timestamp>,
    pub done_at: Option<Timestamp>,
    /// apalis's result JSON: `{"Ok": null}` or `{"Err": "..."}`.
    pub last_result: Option<serde_json::Value>,
    /// The error of `last_result`, if it is one.
    pub error: Option<String>,
    pub idempotency_key: Option<String>,
    /// The job's arguments (ids only).
    pub payload: serde_json::Value,
    /// The order the payload names, if any.
    pub order_id: Option<Uuid>,
}

impl JobView {
    fn from_row(r: sql::Row) -> JobView {
        let time = |secs: i64| Timestamp::from_datetime(chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default());
        let last_result = r
            .last_result
            .as_deref()
            .map(|s| serde_json::from_str(s).unwrap_or_else(|_| serde_json::Value::String(s.to_owned())));
        let error = last_result.as_ref().and_then(|v| v.get("Err")).map(|e| match e {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let payload = serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::String(r.payload));
        JobView {
            order_id: sql::order_of(&payload),
            id: r.id,
            queue: r.job_type,
            status: r.status,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            run_at: time(r.run_at),
            lock_by: r.lock_by,
            lock_at: r.lock_at.map(time),
            done_at: r.done_at.map(time),
            last_result,
            error,
            idempotency_key: r.idempotency_key,
            payload,
        }
    }
}

/// Which jobs [`list`] returns; `None` matches anything.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub queue: Option<String>,
    /// One of [`STATUSES`] (see [`canonical_status`]).
    pub status: Option<String>,
    /// Jobs of this order (by their idempotency key, `<order id>[:<step>]`).
    pub order_id: Option<Uuid>,
}

/// `status` spelled as stored (case-insensitive match), or `None` if it is not a job state.
pub fn canonical_status(status: &str) -> Option<&'static str> {
    STATUSES.iter().copied().find(|s| s.eq_ignore_ascii_case(status.trim()))
}

/// Why a verb was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("job not found")]
    NotFound,
    /// The verb does not fit the job's (or its order's) state.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What a verb did.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    /// The job after the verb (for [`discard`], as it was before deletion).
    pub job: JobView,
    /// The job's order's status after the verb, if the order exists and is live.
    pub order_status: Option<String>,
    /// Whether the verb moved the order (ERROR → PENDING, or PENDING → ERROR).
    pub order_changed: bool,
}

/// One page of jobs, newest first, and how many match in all.
pub async fn list(c: &mut impl AsConn, filter: &JobFilter, page: Page) -> Result<(Vec<JobView>, i64), sqlx::Error> {
    let (rows, total) = sql::list(c, filter, page).await?;
    Ok((rows.into_iter().map(JobView::from_row).collect(), total))
}

pub async fn find(c: &mut impl AsConn, id: &str) -> Result<Option<JobView>, sqlx::Error> {
    Ok(sql::find(c, id).await?.map(JobView::from_row))
}

/// A Failed or Killed job runs again, from its first attempt. Its order, if in ERROR, goes back
/// to PENDING with the error fields cleared, so the retried job can finish it.
///
/// Refused (409) for an asymmetric order whose passphrase secret was deleted with its failure:
/// its key cannot be made again, and the client has to place a new order.
pub async fn retry(db: &Db, id: &str) -> Result<Applied, AdminError> {
    let mut tx = db.begin().await?;
    let job = find(&mut tx, id).await?.ok_or(AdminError::NotFound)?;
    if !matches!(job.status.as_str(), "Failed" | "Killed") {
        return Err(conflict("retried", &job.status, "Failed or Killed"));
    }
    let mut order_changed = false;
    if let Some(order) = live_order(&mut tx, &job).await?
        && order.status == orders::ERROR
    {
        if let Some(pid) = order.passphrase_secret_id
            && secrets::find(&mut tx, &order.project_id, pid, Timestamp::now()).await?.is_none()
        {
            return Err(AdminError::Conflict(
                "The order's passphrase secret was deleted when the order failed; the order cannot be retried.".into(),
            ));
        }
        order_changed = orders::reopen(&mut tx, order.id, Timestamp::now()).await?;
    }
    if !sql::retry(&mut tx, id).await? {
        return Err(raced());
    }
    finish(tx, id, order_changed).await
}

/// A job that no worker runs (Pending, including a scheduled retry, or fetched but not yet
/// started) is killed with [`CANCELLED`]; its order, if PENDING, ends in ERROR ("500",
/// [`CANCELLED_REASON`]), as a failed order does (an asymmetric order's passphrase secret goes
/// with it).
pub async fn cancel(db: &Db, id: &str) -> Result<Applied, AdminError> {
    let mut tx = db.begin().await?;
    let job = find(&mut tx, id).await?.ok_or(AdminError::NotFound)?;
    if !matches!(job.status.as_str(), "Pending" | "Queued") {
        return Err(conflict("cancelled", &job.status, "Pending"));
    }
    if !sql::cancel(&mut tx, id, &crate::table::result_json(Some(CANCELLED))).await? {
        return Err(raced());
    }
    let mut order_changed = false;
    if let Some(order) = live_order(&mut tx, &job).await?
        && order.status == orders::PENDING
    {
        let failure = Failure::Permanent { code: 500, reason: CANCELLED_REASON.into(), sub_status: None };
        fail_order_in(&mut tx, order.id, &failure).await?;
        order_changed = true;
    }
    finish(tx, id, order_changed).await
}

/// Deletes a finished (Done or Killed) job row; its order is not touched.
pub async fn discard(db: &Db, id: &str) -> Result<Applied, AdminError> {
    let mut tx = db.begin().await?;
    let job = find(&mut tx, id).await?.ok_or(AdminError::NotFound)?;
    if !matches!(job.status.as_str(), "Done" | "Killed") {
        return Err(conflict("discarded", &job.status, "Done or Killed"));
    }
    if !sql::discard(&mut tx, id).await? {
        return Err(raced());
    }
    let order_status = live_order(&mut tx, &job).await?.map(|o| o.status);
    tx.commit().await?;
    Ok(Applied { job, order_status, order_changed: false })
}

/// Re-reads the job and its order, then commits.
async fn finish(mut tx: Tx, id: &str, order_changed: bool) -> Result<Applied, AdminError> {
    let job = find(&mut tx, id).await?.ok_or(AdminError::NotFound)?;
    let order_status = live_order(&mut tx, &job).await?.map(|o| o.status);
    tx.commit().await?;
    Ok(Applied { job, order_status, order_changed })
}

async fn live_order(tx: &mut Tx, job: &JobView) -> Result<Option<orders::Order>, sqlx::Error> {
    match job.order_id {
        Some(id) => orders::find_any_project(tx, id).await,
        None => Ok(None),
    }
}

fn conflict(verb: &str, status: &str, allowed: &str) -> AdminError {
    AdminError::Conflict(format!("A {status} job cannot be {verb}; only a {allowed} job can."))
}

/// The guarded update found the row in another state: a worker moved it after we read it.
fn raced() -> AdminError {
    AdminError::Conflict("The job changed state meanwhile; look at it again.".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(last_result: Option<&str>, payload: &str) -> sql::Row {
        sql::Row {
            id: "01M87N50225FX7RC8695SBKDVA".into(),
            job_type: "orders".into(),
            status: "Killed".into(),
            attempts: 3,
            max_attempts: 3,
            run_at: 1_795_553_394,
            lock_by: Some("orders-h-1-abcd".into()),
            lock_at: Some(1_795_553_394),
            done_at: None,
            last_result: last_result.map(str::to_owned),
            idempotency_key: None,
            payload: payload.into(),
        }
    }

    #[test]
    fn views_read_the_error_and_the_order() {
        let id = Uuid::new_v4();
        let v = JobView::from_row(row(Some(r#"{"Err": "boom"}"#), &format!(r#"{{"order_id": "{id}"}}"#)));
        assert_eq!((v.error.as_deref(), v.order_id), (Some("boom"), Some(id)));
        assert_eq!(v.run_at.to_barbican(), "2026-11-24T20:49:54");
        let v = JobView::from_row(row(Some(r#"{"Ok": null}"#), "not json"));
        assert_eq!((v.error, v.order_id), (None, None));
        assert_eq!(v.payload, serde_json::Value::String("not json".into()));
    }

    #[test]
    fn statuses_match_in_any_case() {
        assert_eq!(canonical_status(" killed "), Some("Killed"));
        assert_eq!(canonical_status("PENDING"), Some("Pending"));
        assert_eq!(canonical_status("gone"), None);
    }
}
