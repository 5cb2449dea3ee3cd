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
//!   attempts goes to [`Handler::exhausted`], atomically with being marked Killed.
//! - apalis's own tables are created by [`setup`], with their migration history kept apart from
//!   ours.
//!
//! # Layout
//! - `setup.rs`: apalis's migrations, coexisting with ours.
//! - `job.rs`: [`Job`], [`EnqueueOptions`], [`enqueue`].
//! - `retry.rs`: [`Outcome`], [`RetryPolicy`] (backoff with jitter).
//! - `worker.rs`: [`Handler`], [`JobContext`], [`WorkerOptions`], [`start_workers`], worker names.
//! - `table.rs`: our statements on apalis's jobs table (claim, finish, reschedule, prune).
//! - `retention.rs`: pruning of finished jobs.
//! - `orders/`: the `orders` queue: [`OrderTask`] and its handler [`ProcessTypeOrder`].

mod job;
mod orders;
mod retention;
mod retry;
mod setup;
mod table;
mod worker;

pub use job::{EnqueueOptions, Enqueued, Job, enqueue};
pub use orders::{OrderTask, ProcessTypeOrder};
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
