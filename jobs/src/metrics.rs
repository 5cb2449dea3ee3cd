//! What the engine reports about itself: delivery counters (recorded by `worker.rs` when a
//! delivery ends), the jobs table read at scrape time, and probes telling whether a queue's
//! workers still run (for readiness checks).
//!
//! # Layout
//! - [`DeliveryTimer`]: times one delivery and records its outcome in
//!   `portcullis_observability::metrics`.
//! - [`job_stats`]: jobs by queue and state, queue depth and lag, from the jobs table.
//! - [`WorkerProbe`]: whether a [`crate::WorkerSet`] is still running.

use std::time::Instant;

use portcullis_observability::metrics::{JOB_STATES, JobCount, QueueLag, metrics};
use portcullis_store::db::{AsConn, ConnRef, Db};

use crate::Outcome;

/// Times one delivery, from claim to outcome.
pub(crate) struct DeliveryTimer {
    queue: &'static str,
    started: Instant,
}

impl DeliveryTimer {
    pub(crate) fn start(queue: &'static str) -> DeliveryTimer {
        DeliveryTimer { queue, started: Instant::now() }
    }

    /// Records the delivery's outcome as the worker will act on it: a `Retry` on the last attempt
    /// is `exhausted`, since the job is killed rather than retried.
    pub(crate) fn finish(self, outcome: &Outcome, last_attempt: bool) {
        let label = match outcome {
            Outcome::Done => "done",
            Outcome::Failed { .. } => "failed",
            Outcome::Retry { .. } if last_attempt => "exhausted",
            Outcome::Retry { .. } => "retried",
        };
        metrics().job_delivery(self.queue, label, self.started.elapsed());
    }
}

/// A cloneable view of whether a queue's workers still run (the supervising task of
/// [`crate::start_workers`], which restarts failed workers, has not ended). It ends after
/// shutdown, or if the supervisor itself panicked.
#[derive(Debug, Clone)]
pub struct WorkerProbe(tokio::task::AbortHandle);

impl WorkerProbe {
    /// A probe of the task behind `handle`.
    pub fn new(handle: tokio::task::AbortHandle) -> WorkerProbe {
        WorkerProbe(handle)
    }

    pub fn is_running(&self) -> bool {
        !self.0.is_finished()
    }
}

/// apalis's statuses (and, for Pending, whether the job ran before) as [`JOB_STATES`]. `Queued` is
/// fetched by a worker and about to run, so it counts as running.
fn state_of(status: &str, retried: bool) -> &'static str {
    match status {
        "Pending" if retried => "retried",
        "Pending" => "pending",
        "Queued" | "Running" => "running",
        "Done" => "done",
        "Failed" => "failed",
        "Killed" => "killed",
        _ => "other",
    }
}

const SQLITE_COUNTS: &str = "SELECT job_type, status, attempts > 0, COUNT(*) FROM Jobs GROUP BY 1, 2, 3";
const POSTGRES_COUNTS: &str = "SELECT job_type, status, attempts > 0, COUNT(*)::int8 FROM apalis.jobs GROUP BY 1, 2, 3";
// Due and waiting: what apalis's fetch would take next (Pending, or its retryable Failed).
const SQLITE_LAG: &str = "SELECT job_type, COUNT(*), \
     CAST(COALESCE(CAST(strftime('%s', 'now') AS INTEGER) - MIN(run_at), 0) AS REAL) \
     FROM Jobs WHERE (status = 'Pending' OR (status = 'Failed' AND attempts < max_attempts)) \
     AND run_at <= CAST(strftime('%s', 'now') AS INTEGER) GROUP BY 1";
const POSTGRES_LAG: &str = "SELECT job_type, COUNT(*)::int8, \
     COALESCE(EXTRACT(EPOCH FROM now() - MIN(run_at)), 0)::float8 \
     FROM apalis.jobs WHERE (status = 'Pending' OR (status = 'Failed' AND attempts < max_attempts)) \
     AND run_at <= now() GROUP BY 1";

/// `(queue, status, ran before, count)` and `(queue, due jobs, oldest due age)` rows.
type CountRow = (String, String, bool, i64);
type LagRow = (String, i64, f64);

/// Jobs by queue and state, and each queue's depth and lag, read now. Every queue in `queues`
/// appears with every state (zero when empty), so a series never vanishes between scrapes.
pub async fn job_stats(db: &Db, queues: &[&str]) -> Result<(Vec<JobCount>, Vec<QueueLag>), sqlx::Error> {
    let mut conn = db.acquire().await?;
    let (counts, lag): (Vec<CountRow>, Vec<LagRow>) = match conn.conn() {
        ConnRef::Sqlite(c) => {
            (sqlx::query_as(SQLITE_COUNTS).fetch_all(&mut *c).await?, sqlx::query_as(SQLITE_LAG).fetch_all(c).await?)
        }
        ConnRef::Postgres(c) => (
            sqlx::query_as(POSTGRES_COUNTS).fetch_all(&mut *c).await?,
            sqlx::query_as(POSTGRES_LAG).fetch_all(c).await?,
        ),
    };
    let mut jobs: Vec<JobCount> = queues
        .iter()
        .flat_map(|q| JOB_STATES.iter().map(|s| JobCount { queue: (*q).to_owned(), state: s, count: 0 }))
        .collect();
    for (queue, status, retried, n) in counts {
        let state = state_of(&status, retried);
        match jobs.iter_mut().find(|j| j.queue == queue && j.state == state) {
            Some(j) => j.count += n,
            None => jobs.push(JobCount { queue, state, count: n }),
        }
    }
    let mut lags: Vec<QueueLag> =
        queues.iter().map(|q| QueueLag { queue: (*q).to_owned(), depth: 0, oldest_pending_age_secs: 0.0 }).collect();
    for (queue, depth, age) in lag {
        // Clock rounding may put a just-due job a fraction of a second in the future.
        let age = age.max(0.0);
        match lags.iter_mut().find(|l| l.queue == queue) {
            Some(l) => (l.depth, l.oldest_pending_age_secs) = (depth, age),
            None => lags.push(QueueLag { queue, depth, oldest_pending_age_secs: age }),
        }
    }
    Ok((jobs, lags))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apalis_statuses_map_to_our_states() {
        assert_eq!(state_of("Pending", false), "pending");
        assert_eq!(state_of("Pending", true), "retried");
        assert_eq!(state_of("Queued", false), "running");
        assert_eq!(state_of("Killed", true), "killed");
        assert!(JOB_STATES.iter().all(|s| *s != "other"));
    }
}
