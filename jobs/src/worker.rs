//! Workers: apalis fetches and locks rows; everything after that is ours (see `run_one`).
//!
//! apalis's own acknowledgement (`persist_results`) and Running-lock (`lock_tasks`) are off: both
//! travel through an asynchronous event channel, so they could land *after* our own transition
//! and undo it (e.g. flip a rescheduled row back to Running). Instead `table::claim` marks the
//! row Running and `table::{finish, reschedule}` end the delivery, synchronously.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{BackendExt, BoxDynError, TaskId, WorkerBuilder, WorkerBuilderExt, WorkerContext, WorkerError};
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use portcullis_store::db::{Db, Tx};
use tokio::task::JoinHandle;

use crate::retry::{Outcome, RetryPolicy};
use crate::{Job, table};

/// What a handler sees of the delivery it runs.
#[derive(Debug, Clone)]
pub struct JobContext {
    /// The job row's id (stable across retries).
    pub id: String,
    /// 1-based number of this delivery; deliveries cut short by a dead worker count too.
    pub attempt: u32,
    pub max_attempts: u32,
    /// The unique name of the worker running it.
    pub worker: String,
    /// The database, e.g. to enqueue a follow-up in the same transaction as the step's writes.
    pub db: Db,
}

impl JobContext {
    /// Whether a `Retry` outcome now would exhaust the job instead.
    pub fn is_last_attempt(&self) -> bool {
        self.attempt >= self.max_attempts
    }
}

/// Runs the jobs of one queue.
pub trait Handler<J: Job>: Send + Sync + 'static {
    /// Runs one delivery. A panic counts as `Outcome::retry`.
    fn handle(&self, job: J, ctx: JobContext) -> impl Future<Output = Outcome> + Send;

    /// Called when a job returns `Retry` on its last attempt, inside the transaction that marks
    /// it Killed: if this fails, neither happens and the job is retried later. (Orders set ERROR
    /// here.)
    fn exhausted(
        &self,
        _tx: &mut Tx,
        _job: J,
        _ctx: &JobContext,
        _error: &str,
    ) -> impl Future<Output = Result<(), BoxDynError>> + Send {
        async { Ok(()) }
    }
}

/// Any `async fn(J, JobContext) -> Outcome` is a handler without an exhausted hook.
impl<J, F, Fut> Handler<J> for F
where
    J: Job,
    F: Fn(J, JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send,
{
    fn handle(&self, job: J, ctx: JobContext) -> impl Future<Output = Outcome> + Send {
        self(job, ctx)
    }
}

/// Settings for the workers of one queue.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Jobs of this queue run at once in this process.
    pub concurrency: usize,
    /// A job held by a worker that has not sent a heartbeat for this long is handed to another
    /// worker. Heartbeats go out three times per timeout. SQLite keeps whole seconds.
    pub orphan_timeout: Duration,
    /// How often an idle worker looks for due jobs.
    pub poll_interval: Duration,
    /// On shutdown, how long jobs in hand may take to finish before they are abandoned (and
    /// later rescued as orphans).
    pub shutdown_grace: Duration,
    pub retry: RetryPolicy,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            orphan_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

/// A unique worker name: `<queue>-<host>-<pid>-<8 hex>`. apalis's orphan rescue and its
/// registration key on the name, so a restarted process (or a restarted worker in this one) must
/// never reuse one: it would be refused while the old name looks alive, or adopt its jobs.
pub fn worker_name(queue: &str) -> String {
    let uuid = uuid::Uuid::new_v4().simple().to_string();
    format!("{queue}-{}-{}-{}", hostname(), std::process::id(), &uuid[..8])
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned())
}

type Stop = Shared<BoxFuture<'static, ()>>;

/// The running workers of one queue; see [`start_workers`].
#[derive(Debug)]
pub struct WorkerSet {
    handle: JoinHandle<()>,
}

impl WorkerSet {
    /// Waits until the workers have stopped (after the shutdown future fired and jobs in hand
    /// finished or the grace period ran out).
    pub async fn join(self) {
        if let Err(e) = self.handle.await {
            tracing::error!(error = %e, "job worker task failed");
        }
    }
}

/// Starts the workers of `J::QUEUE` on `db`: up to `opts.concurrency` jobs at once, until
/// `shutdown` completes. A worker that fails (e.g. the database went away) is restarted under a
/// fresh name after a pause.
pub fn start_workers<J: Job, H: Handler<J>>(
    db: &Db,
    handler: H,
    opts: WorkerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> WorkerSet {
    let stop: Stop = shutdown.boxed().shared();
    let runner = Arc::new(Runner { db: db.clone(), handler, retry: opts.retry, _job: std::marker::PhantomData });
    let db = db.clone();
    let handle = tokio::spawn(async move {
        loop {
            let name = worker_name(J::QUEUE);
            tracing::info!(worker = %name, queue = J::QUEUE, "starting job worker");
            let res = run_worker(&db, &name, runner.clone(), &opts, stop.clone()).await;
            if stop.peek().is_some() {
                return;
            }
            match res {
                Ok(()) => tracing::warn!(worker = %name, "job worker stopped by itself; restarting"),
                Err(e) => tracing::error!(worker = %name, error = %e, "job worker failed; restarting"),
            }
            tokio::select! {
                _ = stop.clone() => return,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    });
    WorkerSet { handle }
}

async fn run_worker<J: Job, H: Handler<J>>(
    db: &Db,
    name: &str,
    runner: Arc<Runner<J, H>>,
    opts: &WorkerOptions,
    stop: Stop,
) -> Result<(), WorkerError> {
    let concurrency = opts.concurrency.max(1);
    // Heartbeats at a third of the timeout; apalis rescues after `interval * missed`.
    let heartbeat = (opts.orphan_timeout / 3).max(Duration::from_secs(1));
    let svc = move |args: serde_json::Value, id: TaskId, wrk: WorkerContext| {
        let runner = runner.clone();
        async move {
            runner.run_one(args, id.to_string(), wrk.name().to_owned()).await;
            Ok::<(), BoxDynError>(())
        }
    };
    let signal = {
        let stop = stop.clone();
        async move {
            stop.await;
            Ok::<(), WorkerError>(())
        }
    };
    let run: BoxFuture<'static, Result<(), WorkerError>> = match db {
        Db::Sqlite(pool, _) => {
            let config = apalis_sqlite::Config::default()
                .queue(J::QUEUE)
                // Fetch no more than we can run, so other processes get the rest.
                .batch_size(concurrency)
                .heartbeat_interval(heartbeat)
                .missed_heartbeats(3)
                .lock_tasks(false)
                .persist_results(false);
            let backend = apalis_sqlite::SqliteStorage::<serde_json::Value>::new(pool)
                .with_config(config)
                .poll_with_interval(opts.poll_interval);
            WorkerBuilder::new(name).backend(backend).concurrency(concurrency).build(svc).run_until(signal).boxed()
        }
        Db::Postgres(pool) => {
            let config = apalis_postgres::Config::default()
                .queue(J::QUEUE)
                .batch_size(concurrency)
                .heartbeat_interval(heartbeat)
                .missed_heartbeats(3)
                .lock_tasks(false)
                .persist_results(false);
            let backend = apalis_postgres::PostgresStorage::<serde_json::Value>::new(pool)
                .with_config(config)
                .poll_with_interval(opts.poll_interval);
            WorkerBuilder::new(name).backend(backend).concurrency(concurrency).build(svc).run_until(signal).boxed()
        }
    };
    let mut run = run;
    tokio::select! {
        res = &mut run => res,
        _ = stop => match tokio::time::timeout(opts.shutdown_grace, run).await {
            Ok(res) => res,
            Err(_) => {
                tracing::warn!(worker = %name, "shutdown grace period over; abandoning jobs in hand");
                Ok(())
            }
        },
    }
}

struct Runner<J, H> {
    db: Db,
    handler: H,
    retry: RetryPolicy,
    _job: std::marker::PhantomData<fn() -> J>,
}

impl<J: Job, H: Handler<J>> Runner<J, H> {
    /// One delivery, start to end. Never fails: every outcome is written to the row.
    async fn run_one(&self, args: serde_json::Value, id: String, worker: String) {
        let claimed = match table::claim(&self.db, &id, &worker).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                tracing::warn!(job = %id, %worker, "job no longer locked by this worker; skipped");
                return;
            }
            Err(e) => {
                // Left locked by us: rescued once this worker's heartbeats stop.
                tracing::error!(job = %id, error = %e, "claiming a job failed");
                return;
            }
        };
        let ctx = JobContext {
            id: id.clone(),
            attempt: claimed.attempt,
            max_attempts: claimed.max_attempts,
            worker: worker.clone(),
            db: self.db.clone(),
        };
        let job: J = match serde_json::from_value(args) {
            Ok(j) => j,
            Err(e) => {
                let error = format!("undecodable job payload: {e}");
                tracing::error!(job = %id, queue = J::QUEUE, %error, "killing job");
                self.finish(&ctx, table::Final::Killed, Some(&error)).await;
                return;
            }
        };
        let outcome = match AssertUnwindSafe(self.handler.handle(job.clone(), ctx.clone())).catch_unwind().await {
            Ok(o) => o,
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic".to_owned());
                tracing::error!(job = %id, queue = J::QUEUE, panic = %msg, "job handler panicked");
                Outcome::retry(format!("handler panicked: {msg}"))
            }
        };
        match outcome {
            Outcome::Done => self.finish(&ctx, table::Final::Done, None).await,
            Outcome::Failed { error } => {
                tracing::warn!(job = %id, queue = J::QUEUE, %error, "job failed permanently");
                self.finish(&ctx, table::Final::Killed, Some(&error)).await
            }
            Outcome::Retry { error, .. } if ctx.is_last_attempt() => self.exhaust(job, &ctx, &error).await,
            Outcome::Retry { after, error } => {
                let delay = after.unwrap_or_else(|| self.retry.delay(ctx.attempt));
                tracing::info!(job = %id, queue = J::QUEUE, attempt = ctx.attempt, ?delay, %error, "job will be retried");
                self.reschedule(&ctx, delay, &error).await
            }
        }
    }

    async fn exhaust(&self, job: J, ctx: &JobContext, error: &str) {
        tracing::warn!(job = %ctx.id, queue = J::QUEUE, attempts = ctx.attempt, %error, "job attempts exhausted");
        let res: Result<bool, BoxDynError> = async {
            let mut tx = self.db.begin().await?;
            self.handler.exhausted(&mut tx, job, ctx, error).await?;
            let ours =
                table::finish(&mut tx, &ctx.id, &ctx.worker, table::Final::Killed, ctx.attempt, Some(error)).await?;
            if ours {
                tx.commit().await?;
            }
            // Not ours any more: another worker owns the row now; our hook's writes roll back.
            Ok(ours)
        }
        .await;
        match res {
            Ok(true) => {}
            Ok(false) => tracing::warn!(job = %ctx.id, "job no longer locked by this worker; exhaustion dropped"),
            Err(e) => {
                let error = format!("{error}; exhausted hook failed: {e}");
                self.reschedule(ctx, self.retry.delay(ctx.attempt), &error).await
            }
        }
    }

    async fn finish(&self, ctx: &JobContext, state: table::Final, error: Option<&str>) {
        let res = async {
            let mut tx = self.db.begin().await?;
            let ours = table::finish(&mut tx, &ctx.id, &ctx.worker, state, ctx.attempt, error).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(ours)
        }
        .await;
        log_transition(ctx, "finishing", res);
    }

    async fn reschedule(&self, ctx: &JobContext, delay: Duration, error: &str) {
        let res = table::reschedule(&self.db, &ctx.id, &ctx.worker, ctx.attempt, delay, error).await;
        log_transition(ctx, "rescheduling", res);
    }
}

fn log_transition(ctx: &JobContext, what: &str, res: Result<bool, sqlx::Error>) {
    match res {
        Ok(true) => {}
        Ok(false) => tracing::warn!(job = %ctx.id, "{what} job: no longer locked by this worker"),
        // Stays locked by this worker; rescued as an orphan once its heartbeats stop.
        Err(e) => tracing::error!(job = %ctx.id, error = %e, "{what} job failed"),
    }
}
