//! Typed jobs, enqueueing them on the caller's transaction, and cancelling an order's jobs.

use std::time::{Duration, SystemTime};

use apalis::prelude::{TaskBuilder, TaskId};
use portcullis_store::db::Tx;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Connection;
use uuid::Uuid;

use crate::{JobError, table};

/// A kind of durable job: its payload is stored as JSON in the queue named [`Job::QUEUE`].
///
/// **Jobs carry ids only, never secret material.** The payload sits in plain JSON in the jobs
/// table (and in its retained history for days); a handler re-reads whatever it needs, under the
/// usual access rules, from the id it is given.
pub trait Job: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// The queue (apalis `job_type`) the job is stored under; one handler per queue.
    const QUEUE: &'static str;
}

/// How a job is enqueued.
#[derive(Debug, Clone)]
pub struct EnqueueOptions {
    /// Not before this time (default: now). Stored with one-second precision.
    pub run_at: Option<SystemTime>,
    /// At most one job per (queue, key) ever exists: a second enqueue with the same key is a
    /// no-op, so a step that is delivered twice still enqueues its follow-up once.
    pub idempotency_key: Option<String>,
    /// Deliveries before the job counts as exhausted (at least 1).
    pub max_attempts: u32,
}

impl Default for EnqueueOptions {
    fn default() -> Self {
        Self { run_at: None, idempotency_key: None, max_attempts: 8 }
    }
}

impl EnqueueOptions {
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    pub fn run_after(mut self, delay: Duration) -> Self {
        self.run_at = Some(SystemTime::now() + delay);
        self
    }

    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }
}

/// What [`enqueue`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    /// A new job row with this id (visible to workers once the transaction commits).
    New(String),
    /// A job with the same idempotency key already exists in this queue; nothing was added.
    Duplicate,
}

/// Adds `job` to its queue inside the caller's transaction: if `tx` rolls back, the job never
/// existed; once it commits, workers see it, and idle ones are woken if it is due (`wake.rs`). The job's metadata carries the current trace
/// context on, so its deliveries continue this span's trace (`trace.rs`).
#[tracing::instrument(name = "enqueue", skip_all, fields(
    otel.name = %format_args!("enqueue {}", J::QUEUE),
    otel.kind = "producer",
    queue = J::QUEUE,
    job_id = tracing::field::Empty,
))]
pub async fn enqueue<J: Job>(tx: &mut Tx, job: &J, opts: EnqueueOptions) -> Result<Enqueued, JobError> {
    let payload = serde_json::to_vec(job)?;
    // Our own id (a ULID, which apalis's row decoder requires) so we can tell "inserted" from
    // "skipped by the idempotency key" afterwards.
    let id = ulid::Ulid::generate().to_string();
    tracing::Span::current().record("job_id", id.as_str());
    let mut builder = TaskBuilder::new(payload)
        .task_id(TaskId::from_string(id.clone()))
        .max_attempts(opts.max_attempts.max(1) as usize);
    if let Some(meta) = crate::trace::metadata() {
        builder = builder.with_metadata(meta);
    }
    if let Some(at) = opts.run_at {
        builder = builder.run_at_time(at);
    }
    if let Some(key) = &opts.idempotency_key {
        builder = builder.idempotency_key(key);
    }
    let task = builder.build();
    // A job scheduled for later is left to the workers' polling (`wake.rs`).
    let due_now = opts.run_at.is_none_or(|at| at <= SystemTime::now());

    match tx {
        Tx::Sqlite(t, _) => {
            // apalis's SQLite insert is `ON CONFLICT (job_type, idempotency_key) DO NOTHING`.
            apalis_sqlite::queries::push_tasks(&mut **t, J::QUEUE, &[task]).await.map_err(apalis_err)?;
            let found: Option<String> =
                sqlx::query_scalar("SELECT id FROM Jobs WHERE id = $1").bind(&id).fetch_optional(&mut **t).await?;
            if found.is_none() {
                return Ok(Enqueued::Duplicate);
            }
            if due_now {
                crate::wake::signal_local(J::QUEUE);
            }
            Ok(Enqueued::New(id))
        }
        Tx::Postgres(t) => {
            // apalis's Postgres insert has no ON CONFLICT: a duplicate key raises a unique
            // violation, which would abort the caller's whole transaction. A savepoint confines it.
            let mut sp = t.begin().await?;
            match apalis_postgres::queries::push_tasks(&mut *sp, J::QUEUE, vec![task]).await {
                Ok(()) => {
                    sp.commit().await?;
                    if due_now {
                        // Delivered on commit, to workers in every process (`wake.rs`).
                        sqlx::query("SELECT pg_notify($1, $2)")
                            .bind(crate::wake::CHANNEL)
                            .bind(J::QUEUE)
                            .execute(&mut **t)
                            .await?;
                    }
                    Ok(Enqueued::New(id))
                }
                Err(apalis_postgres::Error::Database(sqlx::Error::Database(e)))
                    if e.constraint() == Some("idx_jobs_idempotency_key") =>
                {
                    sp.rollback().await?;
                    Ok(Enqueued::Duplicate)
                }
                // The database's own error, kept as such: a lost connection is then the API's
                // 503 (database unavailable), not a 500 (tests/tests/pg_outage.rs).
                Err(apalis_postgres::Error::Database(e)) => Err(JobError::Sqlx(e)),
                Err(e) => Err(JobError::Apalis(e.to_string())),
            }
        }
    }
}

/// What [`cancel_order_jobs`] records as the result of the jobs it kills.
pub const ORDER_DELETED: &str = "cancelled: order deleted";

/// Kills the jobs of order `order_id` that no worker has started yet (Pending, including
/// scheduled retries), inside the caller's transaction, e.g. the one that deletes the order.
/// Returns how many. A job already running is left to finish: its handler finds the order
/// deleted and creates nothing.
///
/// Convention, for every queue: each job of an order has an idempotency key that is the order's
/// id (`<uuid>`, its first job) or starts with `<uuid>:` (follow-up steps, e.g. `<uuid>:csr`).
pub async fn cancel_order_jobs(tx: &mut Tx, order_id: Uuid) -> Result<u64, JobError> {
    Ok(table::cancel_keyed(tx, &order_id.to_string(), ORDER_DELETED).await?)
}

fn apalis_err(e: apalis_sqlite::Error) -> JobError {
    match e {
        apalis_sqlite::Error::Database(e) => JobError::Sqlx(e),
        other => JobError::Apalis(other.to_string()),
    }
}
