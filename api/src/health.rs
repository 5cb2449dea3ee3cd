//! Liveness and readiness: what `GET /health/live` and `GET /health/ready` answer
//! ([`crate::controllers::health`]).
//!
//! Ready means this process can do its job now: the database answers, every migration this binary
//! knows is applied, and — in a process that runs job workers (`serve`) — the workers run. A
//! process without workers (`api`) reports the workers check as `not_run`, which does not fail it.
//!
//! # Layout
//! - [`WorkerStatus`]: the workers a process started (set once by `commands::serve`), in
//!   [`crate::App`].
//! - [`Readiness`], [`readiness`]: the checks and their JSON.

use std::sync::OnceLock;
use std::time::Duration;

use portcullis_jobs::WorkerProbe;
use serde_json::{Value, json};

use crate::state::App;

/// A database that has not answered in this long counts as unreachable: a probe must answer
/// before its caller (a load balancer, Kubernetes) gives up.
const DB_CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// The job workers this process runs; empty until started, and never set in `portcullis api`.
#[derive(Debug, Default)]
pub struct WorkerStatus(OnceLock<Vec<(&'static str, WorkerProbe)>>);

impl WorkerStatus {
    /// Records the workers of each queue once they are started. Later calls are ignored.
    pub fn started(&self, queues: Vec<(&'static str, WorkerProbe)>) {
        let _ = self.0.set(queues);
    }

    /// `None` when this process runs no workers; else the queues whose workers stopped.
    pub fn stopped(&self) -> Option<Vec<&'static str>> {
        let queues = self.0.get()?;
        Some(queues.iter().filter(|(_, p)| !p.is_running()).map(|(q, _)| *q).collect())
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Ok,
    Fail,
    /// Not run, because a check it depends on failed.
    Skipped,
    /// Does not apply to this process (workers, in `portcullis api`).
    NotRun,
}

impl Check {
    fn as_str(self) -> &'static str {
        match self {
            Check::Ok => "ok",
            Check::Fail => "fail",
            Check::Skipped => "skipped",
            Check::NotRun => "not_run",
        }
    }
}

/// The readiness checks of this process.
#[derive(Debug, Clone)]
pub struct Readiness {
    pub database: Check,
    pub migrations: Check,
    pub workers: Check,
    /// Queues whose workers stopped.
    pub stopped_queues: Vec<&'static str>,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        ![self.database, self.migrations, self.workers].contains(&Check::Fail)
    }

    /// `{"status": "ready"|"not_ready", "checks": {...}, "failed": [...]}`. Carries no error
    /// text (the endpoint is unauthenticated); the reasons are logged.
    pub fn to_json(&self) -> Value {
        let checks = [("database", self.database), ("migrations", self.migrations), ("workers", self.workers)];
        let failed: Vec<&str> = checks.iter().filter(|(_, c)| *c == Check::Fail).map(|(n, _)| *n).collect();
        let mut body = json!({
            "status": if self.is_ready() { "ready" } else { "not_ready" },
            "checks": checks.iter().map(|(n, c)| ((*n).to_owned(), json!(c.as_str()))).collect::<serde_json::Map<_, _>>(),
            "failed": failed,
        });
        if !self.stopped_queues.is_empty() {
            body["stopped_queues"] = json!(self.stopped_queues);
        }
        body
    }
}

/// Runs the checks now.
pub async fn readiness(app: &App) -> Readiness {
    let (database, migrations) = match tokio::time::timeout(DB_CHECK_TIMEOUT, app.db.migrations_applied()).await {
        Ok(Ok(true)) => (Check::Ok, Check::Ok),
        Ok(Ok(false)) => {
            tracing::warn!("readiness: database migrations are missing");
            (Check::Ok, Check::Fail)
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the database check failed");
            (Check::Fail, Check::Skipped)
        }
        Err(_) => {
            tracing::warn!(timeout = ?DB_CHECK_TIMEOUT, "readiness: the database did not answer");
            (Check::Fail, Check::Skipped)
        }
    };
    let (workers, stopped_queues) = match app.workers.stopped() {
        None => (Check::NotRun, Vec::new()),
        Some(stopped) if stopped.is_empty() => (Check::Ok, stopped),
        Some(stopped) => {
            tracing::warn!(queues = ?stopped, "readiness: job workers are not running");
            (Check::Fail, stopped)
        }
    };
    Readiness { database, migrations, workers, stopped_queues }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_the_failed_checks() {
        let r = Readiness {
            database: Check::Fail,
            migrations: Check::Skipped,
            workers: Check::NotRun,
            stopped_queues: vec![],
        };
        assert!(!r.is_ready());
        assert_eq!(
            r.to_json(),
            json!({"status": "not_ready", "checks": {"database": "fail", "migrations": "skipped", "workers": "not_run"},
                   "failed": ["database"]})
        );
        let ok = Readiness { database: Check::Ok, migrations: Check::Ok, workers: Check::Ok, stopped_queues: vec![] };
        assert!(ok.is_ready());
        assert_eq!(ok.to_json()["failed"], json!([]));
    }

    #[tokio::test]
    async fn a_stopped_worker_set_is_reported() {
        let finished = tokio::spawn(async {});
        let probe = finished.abort_handle();
        finished.await.unwrap();
        let status = WorkerStatus::default();
        assert_eq!(status.stopped(), None);
        let running = tokio::spawn(std::future::pending::<()>());
        status.started(vec![("orders", WorkerProbe::new(probe)), ("other", WorkerProbe::new(running.abort_handle()))]);
        assert_eq!(status.stopped(), Some(vec!["orders"]));
        running.abort();
    }
}
