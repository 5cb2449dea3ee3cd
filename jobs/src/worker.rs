//! Workers: apalis fetches and locks rows; everything after that is ours (see `run_one`).
//!
//! apalis's own acknowledgement (`persist_results`) and Running-lock (`lock_tasks`) are off: both
//! travel through an asynchronous event channel, so they could land *after* our own transition
//! and undo it (e.g. flip a rescheduled row back to Running). Instead `table::claim` marks the
//! row Running and `table::{finish, reschedule}` end the delivery, synchronously.
//!
//! A delivery runs the queue's injected faults (debug builds, see `faults.rs`) and then the
//! handler, under the job timeout; a panic or a timeout counts as a transient failure.
//!
//! Each delivery runs as its own task (`shutdown::InFlight`), so that at shutdown apalis's worker
//! can be dropped at once while the jobs in hand finish (see `shutdown.rs` for why).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{
    BackendExt, BoxDynError, MetadataStore, TaskId, WorkerBuilder, WorkerBuilderExt, WorkerContext, WorkerError,
};
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use portcullis_store::db::{Db, Tx};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::faults::{Faults, QueueFaults};
use crate::retry::{Outcome, RetryPolicy};
use crate::shutdown::{self, InFlight};
use crate::wake::WakeOrPoll;
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

    /// Called when a delivery ends `Outcome::Failed` (from the handler, or from an injected
    /// fault that never reached it), in the same way as [`Handler::exhausted`]. A handler that
    /// records its permanent failures itself may leave this a no-op; it must be a no-op for a
    /// failure already recorded.
    fn failed(
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
    /// How often an idle worker looks for due jobs anyway: new jobs wake it at once (`wake.rs`);
    /// this finds scheduled retries once due, orphans, and what a wake misses (SQLite across
    /// processes).
    pub poll_interval: Duration,
    /// On shutdown, how long jobs in hand may take to finish before they are abandoned (and
    /// later rescued as orphans).
    pub shutdown_grace: Duration,
    /// A delivery running longer is cut short and counts as a transient failure.
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// Injected failures, for tests (debug builds only; see [`Faults`]).
    pub faults: Faults,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            orphan_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(30),
            timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            faults: Faults::default(),
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

/// Aborts its task when dropped (the wake source, when the worker set ends).
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

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

    /// A probe of whether these workers still run (readiness checks).
    pub fn probe(&self) -> crate::WorkerProbe {
        crate::metrics::WorkerProbe::new(self.handle.abort_handle())
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
    let faults = opts.faults.for_queue(J::QUEUE);
    if cfg!(debug_assertions) && !faults.is_empty() {
        tracing::warn!(
            queue = J::QUEUE,
            %faults,
            "FAULT INJECTION IS ACTIVE (PORTCULLIS_FAULTS): jobs of this queue will fail on purpose. Tests only."
        );
    }
    let runner = Arc::new(Runner {
        db: db.clone(),
        handler,
        retry: opts.retry,
        timeout: opts.timeout,
        faults,
        _job: std::marker::PhantomData,
    });
    let db = db.clone();
    let in_flight = InFlight::default();
    let handle = tokio::spawn(async move {
        // Outlives worker restarts, so no enqueue signal falls between two workers.
        let wake = Arc::new(Notify::new());
        let _source = AbortOnDrop(tokio::spawn(crate::wake::source(db.clone(), J::QUEUE, wake.clone())));
        loop {
            let name = worker_name(J::QUEUE);
            tracing::info!(worker = %name, queue = J::QUEUE, "starting job worker");
            let res = run_worker(&db, &name, runner.clone(), &opts, &in_flight, &wake, stop.clone()).await;
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
    in_flight: &InFlight,
    wake: &Arc<Notify>,
    stop: Stop,
) -> Result<(), WorkerError> {
    let concurrency = opts.concurrency.max(1);
    // Heartbeats at a third of the timeout; apalis rescues after `interval * missed`.
    let heartbeat = (opts.orphan_timeout / 3).max(Duration::from_secs(1));
    let svc = {
        let in_flight = in_flight.clone();
        move |args: serde_json::Value, id: TaskId, wrk: WorkerContext, meta: MetadataStore| {
            let (runner, in_flight) = (runner.clone(), in_flight.clone());
            async move {
                // In a span continuing the trace of whoever enqueued the job (`trace.rs`).
                let traced = crate::trace::delivery(J::QUEUE, &id.to_string(), &args, &meta);
                // Its own task, so that it outlives apalis's worker at shutdown; awaited, so that
                // apalis's concurrency limit still counts it.
                let delivery =
                    traced.run(async move { runner.run_one(args, id.to_string(), wrk.name().to_owned()).await });
                let _ = in_flight.spawn(delivery).await;
                Ok::<(), BoxDynError>(())
            }
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
                .poll_with_strategy(WakeOrPoll::new(wake.clone(), opts.poll_interval));
            WorkerBuilder::new(name).backend(backend).concurrency(concurrency).build(svc).run().boxed()
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
                .poll_with_strategy(WakeOrPoll::new(wake.clone(), opts.poll_interval));
            WorkerBuilder::new(name).backend(backend).concurrency(concurrency).build(svc).run().boxed()
        }
    };
    let mut run = run;
    tokio::select! {
        res = &mut run => res,
        _ = stop => {
            drop(run); // fetches nothing more; its statements in flight roll back
            shutdown::drain(db, name, in_flight, heartbeat, opts.shutdown_grace).await;
            Ok(())
        }
    }
}

struct Runner<J, H> {
    db: Db,
    handler: H,
    retry: RetryPolicy,
    timeout: Duration,
    faults: QueueFaults,
    _job: std::marker::PhantomData<fn() -> J>,
}

/// How a delivery ends its job for good.
enum End<J> {
    Done,
    /// `Outcome::Failed`: Killed, with the handler's `failed` hook.
    Failed(J, String),
    /// `Retry` on the last attempt: Killed, with the handler's `exhausted` hook.
    Exhausted(J, String),
    /// A payload that does not decode: Killed, no hook (there is no job to give it).
    Undecodable(String),
}

impl<J: Job, H: Handler<J>> Runner<J, H> {
    /// One delivery, start to end. Never fails: every outcome is written to the row.
    async fn run_one(&self, args: serde_json::Value, id: String, worker: String) {
        let claimed = match while_unavailable(|| async { Ok(table::claim(&self.db, &id, &worker).await?) }).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                // E.g. cancelled (`cancel_order_jobs`) between apalis's fetch and our claim.
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
        crate::trace::record_attempt(ctx.attempt);
        let job: J = match serde_json::from_value(args) {
            Ok(j) => j,
            Err(e) => {
                let error = format!("undecodable job payload: {e}");
                tracing::error!(job = %id, queue = J::QUEUE, %error, "killing job");
                return self.end(&ctx, End::Undecodable(error)).await;
            }
        };
        let delivery = async {
            match self.faults.inject(ctx.attempt).await {
                Some(injected) => injected,
                None => self.handler.handle(job.clone(), ctx.clone()).await,
            }
        };
        let timer = crate::metrics::DeliveryTimer::start(J::QUEUE);
        let outcome = match tokio::time::timeout(self.timeout, AssertUnwindSafe(delivery).catch_unwind()).await {
            Ok(Ok(o)) => o,
            Ok(Err(panic)) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic".to_owned());
                tracing::error!(job = %id, queue = J::QUEUE, panic = %msg, "job handler panicked");
                Outcome::retry(format!("handler panicked: {msg}"))
            }
            // The handler's future is dropped: its open transaction rolls back.
            Err(_) => {
                tracing::warn!(job = %id, queue = J::QUEUE, timeout = ?self.timeout, "job delivery timed out");
                Outcome::retry(format!("timed out after {} s", self.timeout.as_secs_f64()))
            }
        };
        timer.finish(&outcome, ctx.is_last_attempt());
        crate::trace::record_outcome(&outcome, ctx.is_last_attempt());
        match outcome {
            Outcome::Done => self.end(&ctx, End::Done).await,
            Outcome::Failed { error } => {
                tracing::warn!(job = %id, queue = J::QUEUE, %error, "job failed permanently");
                self.end(&ctx, End::Failed(job, error)).await
            }
            Outcome::Retry { error, .. } if ctx.is_last_attempt() => {
                tracing::warn!(job = %id, queue = J::QUEUE, attempts = ctx.attempt, %error, "job attempts exhausted");
                self.end(&ctx, End::Exhausted(job, error)).await
            }
            Outcome::Retry { after, error } => {
                let delay = after.unwrap_or_else(|| self.retry.delay(ctx.attempt));
                tracing::info!(job = %id, queue = J::QUEUE, attempt = ctx.attempt, ?delay, %error, "job will be retried");
                self.reschedule(&ctx, delay, &error).await
            }
        }
    }

    /// Marks the job Done or Killed, atomically with the handler's hook for that ending. If the
    /// hook fails, neither happens and the job is retried later.
    async fn end(&self, ctx: &JobContext, end: End<J>) {
        let (state, error) = match &end {
            End::Done => (table::Final::Done, None),
            End::Failed(_, e) | End::Exhausted(_, e) | End::Undecodable(e) => (table::Final::Killed, Some(e.as_str())),
        };
        let res: Result<bool, BoxDynError> = while_unavailable(|| async {
            let mut tx = self.db.begin().await?;
            match &end {
                End::Failed(job, e) => self.handler.failed(&mut tx, job.clone(), ctx, e).await?,
                End::Exhausted(job, e) => self.handler.exhausted(&mut tx, job.clone(), ctx, e).await?,
                End::Done | End::Undecodable(_) => {}
            }
            let ours = table::finish(&mut tx, &ctx.id, &ctx.worker, state, ctx.attempt, error).await?;
            // Not ours any more: another worker owns the row now; the hook's writes roll back.
            if ours {
                tx.commit().await?;
            }
            Ok(ours)
        })
        .await;
        match res {
            Ok(true) => {}
            Ok(false) => tracing::warn!(job = %ctx.id, "ending job: no longer locked by this worker"),
            // The hook's effect (say, the order's ERROR) must not be lost: try the ending again.
            Err(e) if matches!(end, End::Failed(..) | End::Exhausted(..)) => {
                let error = format!("{}; ending the job failed: {e}", error.unwrap_or_default());
                self.reschedule(ctx, self.retry.delay(ctx.attempt), &error).await
            }
            // Stays locked by this worker; rescued as an orphan once its heartbeats stop.
            Err(e) => tracing::error!(job = %ctx.id, error = %e, "ending job failed"),
        }
    }

    async fn reschedule(&self, ctx: &JobContext, delay: Duration, error: &str) {
        let write =
            || async { Ok(table::reschedule(&self.db, &ctx.id, &ctx.worker, ctx.attempt, delay, error).await?) };
        match while_unavailable(write).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(job = %ctx.id, "rescheduling job: no longer locked by this worker"),
            // Stays locked by this worker; rescued as an orphan once its heartbeats stop.
            Err(e) => tracing::error!(job = %ctx.id, error = %e, "rescheduling job failed"),
        }
    }
}

/// While the database is unavailable, the longest pause between two tries of a delivery's write.
const UNAVAILABLE_PAUSE_MAX: Duration = Duration::from_secs(5);

/// Runs a delivery's own write (its claim or its ending) until it succeeds or fails for another
/// reason than an unavailable database (`portcullis_store::db::is_unavailable`), pausing
/// between tries. Given up instead, the row would stay locked by this worker: rescued as an
/// orphan only once this worker's heartbeats stop, which they do not if it outlives the outage,
/// so its order would stay PENDING for good; and if they do, only after `orphan_timeout`.
async fn while_unavailable<T, F, Fut>(mut write: F) -> Result<T, BoxDynError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, BoxDynError>>,
{
    let mut pause = Duration::from_millis(100);
    loop {
        match write().await {
            Err(e) if e.downcast_ref::<sqlx::Error>().is_some_and(portcullis_store::db::is_unavailable) => {
                tracing::warn!(error = %e, ?pause, "the database is unavailable; trying the job's write again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(UNAVAILABLE_PAUSE_MAX);
            }
            other => return other,
        }
    }
}
