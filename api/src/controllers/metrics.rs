//! `GET /metrics`: Prometheus metrics in OpenMetrics text, without authentication (as Prometheus
//! scrapes). This process's counters and histograms, plus gauges read from the database now: jobs
//! by queue and state, queue depth and lag, orders by type and status. If the database does not
//! answer, the process's own metrics are still served, with `portcullis_database_up 0`.

use std::time::Duration;

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use portcullis_jobs::{CertificateStepTask, Job, OrderTask};
use portcullis_observability::metrics::{self as m, OrderCount, Scrape};
use portcullis_store::Db;

use crate::state::AppState;

/// Shorter than Prometheus's default scrape timeout (10 s), so a slow database still yields the
/// process's metrics instead of a failed scrape.
const DB_TIMEOUT: Duration = Duration::from_secs(5);

/// The queues reported even when they hold no job (so their series never vanish).
const QUEUES: [&str; 2] = [OrderTask::QUEUE, CertificateStepTask::QUEUE];

/// Prometheus metrics
///
/// OpenMetrics text: this process's counters and histograms, and gauges read from the database
/// now (jobs by queue and state, queue depth and lag, orders by type and status). If the
/// database does not answer, the process's own metrics are still served, with
/// `portcullis_database_up 0`. No credentials needed.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    operation_id = "metrics",
    responses(
        (status = 200, description = "The metrics.", body = String,
            content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8",
            example = "# TYPE portcullis_database_up gauge\nportcullis_database_up 1\n# EOF\n"),
    )
)]
pub async fn metrics(State(app): State<AppState>) -> Response {
    let scrape = scrape(&app.db).await;
    let body = m::metrics().render(&scrape);
    ([(CONTENT_TYPE, m::CONTENT_TYPE), (CACHE_CONTROL, "no-store")], body).into_response()
}

/// The database's part of the scrape; `database_up: false` when any query fails or times out.
async fn scrape(db: &Db) -> Scrape {
    let read = async {
        let (jobs, queues) = portcullis_jobs::job_stats(db, &QUEUES).await?;
        let mut conn = db.acquire().await?;
        let orders = portcullis_store::orders::count_by_type_and_status(&mut conn).await?;
        let orders = orders.into_iter().map(|(order_type, status, count)| OrderCount { order_type, status, count });
        Ok::<_, sqlx::Error>(Scrape { database_up: true, jobs, queues, orders: orders.collect() })
    };
    match tokio::time::timeout(DB_TIMEOUT, read).await {
        Ok(Ok(scrape)) => scrape,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "metrics: reading the database failed");
            Scrape::default()
        }
        Err(_) => {
            tracing::warn!(timeout = ?DB_TIMEOUT, "metrics: the database did not answer");
            Scrape::default()
        }
    }
}
