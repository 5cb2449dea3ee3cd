//! Job errors on the board. apalis's 1.0 storages read each row's `last_result` but return a
//! task context without it (its `runs` history stays empty), while the board's UI shows the last
//! of `ctx.runs` (a task's "Result", and a tooltip in task lists). This layer on the board's API
//! adds that run to its task responses for a job whose last delivery failed, from the same row
//! (`portcullis_jobs::admin`).

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use portcullis_jobs::admin::JobView;
use portcullis_store::Db;
use serde_json::{Value, json};

/// Task responses are a page of tasks or one; far below this.
const MAX_BODY: usize = 16 * 1024 * 1024;

pub async fn add_last_results(State(db): State<Db>, req: Request, next: Next) -> Response {
    let tasks = is_tasks_path(req.uri().path());
    let resp = next.run(req).await;
    if !tasks || resp.status() != StatusCode::OK {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut value: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => return Response::from_parts(parts, Body::from(bytes)),
    };
    if let Err(e) = fill(&db, &mut value).await {
        // The board still works without the results; say why they are missing.
        tracing::warn!(error = %e, "reading job results for the dashboard");
        return Response::from_parts(parts, Body::from(bytes));
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(value.to_string()))
}

/// `/tasks`, `/queues/{queue}/tasks` and `/queues/{queue}/tasks/{id}` (below the API's mount).
fn is_tasks_path(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(segments.as_slice(), ["tasks"] | ["queues", _, "tasks"] | ["queues", _, "tasks", _])
}

/// Adds the failed last run to each task (`{"args", "ctx": {"task_id", "runs", ...}}`) of `value`
/// that has none recorded.
async fn fill(db: &Db, value: &mut Value) -> Result<(), sqlx::Error> {
    let mut conn = db.acquire().await?;
    let tasks: Vec<&mut Value> = match value {
        Value::Array(items) => items.iter_mut().collect(),
        one => vec![one],
    };
    for task in tasks {
        let Some(id) = task.pointer("/ctx/task_id").and_then(Value::as_str).map(str::to_owned) else { continue };
        if let Some(job) = portcullis_jobs::admin::find(&mut conn, &id).await?
            && let Some(run) = failed_run(&job)
            && let Some(runs) = task.pointer_mut("/ctx/runs").and_then(Value::as_array_mut)
            && runs.is_empty()
        {
            runs.push(run);
        }
    }
    Ok(())
}

/// apalis-core's `Run` (its serde form) for a job whose last delivery ended in an error. A run
/// names the worker that made it, so a job never locked has none.
fn failed_run(job: &JobView) -> Option<Value> {
    let error = job.error.as_ref()?;
    let (lock_by, lock_at) = (job.lock_by.as_ref()?, job.lock_at?);
    Some(json!({
        "result": {
            "task_id": job.id,
            "attempt": job.attempts,
            "status": job.status,
            "result": {"Err": error},
        },
        "lock_at": lock_at.0.timestamp(),
        "lock_by": lock_by,
        "done_at": job.done_at.map(|t| t.0.timestamp()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_task_responses() {
        assert!(is_tasks_path("/tasks"));
        assert!(is_tasks_path("/queues/orders/tasks"));
        assert!(is_tasks_path("/queues/orders/tasks/01M87MWSZAGCYMVB8RVPH4CCND"));
        assert!(!is_tasks_path("/queues"));
        assert!(!is_tasks_path("/queues/orders/stats"));
        assert!(!is_tasks_path("/overview"));
    }
}
