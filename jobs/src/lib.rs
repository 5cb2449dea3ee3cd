//! The durable job engine that carries orders to ACTIVE or ERROR, on apalis 1.0 and the
//! service's one database (Postgres or SQLite, through [`portcullis_store::Db`]).
//!
//! - A job is enqueued with [`enqueue`] **on the caller's transaction**: it exists if and only if
//!   that transaction commits. An idempotency key makes a repeated enqueue a no-op.
//! - Workers ([`start_workers`]) run a [`Handler`] per queue. Delivery is at-least-once: a job
//!   whose worker dies is handed to another after [`WorkerOptions::orphan_timeout`], so handlers
//!   must be idempotent (and enqueue follow-ups with idempotency keys).
//! - Retries are durable: [`Outcome::Retry`] writes the next attempt's time into the job row
//!   (exponential backoff with jitter, [`RetryPolicy`]); nothing waits in memory. A job out of
//!   attempts goes to [`Handler::exhausted`], a permanently failed one to [`Handler::failed`],
//!   each atomically with being marked Killed. A panic, or a delivery over
//!   [`WorkerOptions::timeout`], counts as a transient failure.
//! - Deleting an order cancels its jobs that have not started ([`cancel_order_jobs`]; every job
//!   of an order is keyed `<order id>` or `<order id>:<step>`).
//! - Tests can inject failures into any queue ([`Faults`], `PORTCULLIS_FAULTS`; debug builds
//!   only).
//! - apalis's own tables are created by [`setup`], with their migration history kept apart from
//!   ours.
//!
//! # Layout
//! - `setup.rs`: apalis's migrations, coexisting with ours, and our index on its jobs table.
//! - `job.rs`: [`Job`], [`EnqueueOptions`], [`enqueue`], [`cancel_order_jobs`].
//! - `retry.rs`: [`Outcome`], [`RetryPolicy`] (backoff with jitter).
//! - `worker.rs`: [`Handler`], [`JobContext`], [`WorkerOptions`], [`start_workers`], worker names.
//! - `shutdown.rs`: stopping workers: the jobs in hand finish, the unstarted are handed back.
//! - `faults.rs`: [`Faults`], failures injected before the handler (tests only).
//! - `trace.rs`: trace context in job metadata, and the span of each delivery.
//! - `table.rs`: our statements on apalis's jobs table (claim, finish, reschedule, cancel,
//!   prune).
//! - `retention.rs`: pruning of finished jobs.
//! - `metrics.rs`: delivery counters, jobs-table counts at scrape ([`job_stats`]), worker liveness
//!   ([`WorkerProbe`]).
//! - [`admin`]: operators' views of jobs and their verbs (retry, cancel, discard), shared by the
//!   `/v1/admin/jobs` endpoints and `portcullis jobs`.
//! - `orders/`: the `orders` queue: [`OrderTask`] and its handler [`ProcessTypeOrder`], which also
//!   runs the `certificate_steps` queue ([`CertificateStepTask`]).

pub mod admin;
mod faults;
mod job;
mod metrics;
mod orders;
mod retention;
mod retry;
mod setup;
mod shutdown;
mod table;
mod trace;
mod wake;
mod worker;

pub use faults::{FaultSpecError, Faults, QueueFaults};
pub use job::{EnqueueOptions, Enqueued, Job, ORDER_DELETED, cancel_order_jobs, enqueue};
pub use metrics::{WorkerProbe, job_stats};
pub use orders::{
    CaApproval, CertificateAuthorities, CertificateStepTask, OrderTask, ProcessTypeOrder, first_step, sub_status,
};
pub use retention::{RetentionOptions, prune_finished, spawn_retention};
pub use retry::{Outcome, RetryPolicy};
pub use setup::{APALIS_MIGRATIONS_TABLE, setup};
pub use worker::{Handler, JobContext, WorkerOptions, WorkerSet, start_workers, worker_name};

/// The error of an engine operation.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("encoding a job: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("job queue: {0}")]
    Apalis(String),
}
