//! Waking idle workers when a job is enqueued, so it starts at once rather than at the next poll.
//!
//! - **Postgres**: [`enqueue`](crate::enqueue) sends `NOTIFY portcullis_jobs, '<queue>'` on the
//!   caller's transaction. Postgres delivers it on commit (and drops it on rollback) to every
//!   process listening, so a separate `portcullis worker` is woken too ([`source`] listens, on a
//!   connection of its own, outside the pool).
//! - **SQLite** has no cross-process signal: `enqueue` signals this process's workers of the
//!   queue ([`signal_local`]). They first wait for the writer gate, which the enqueuing
//!   transaction holds until it ends, so they fetch after its commit. Workers in other processes
//!   find the job at their next poll.
//!
//! Polling stays as the fallback (`WorkerOptions::poll_interval`): for SQLite across processes,
//! notifications lost while the listener reconnects, jobs scheduled for later (retries'
//! `run_at`), and orphans.
//!
//! Not apalis's notify fetchers: `PostgresStorageFactory` refuses to register a queue twice (our
//! workers restart under fresh names), `unwrap`s its listener and channel sends, and the trigger
//! it relies on skips rows whose whole-second `run_at` is later than the transaction's start;
//! `SqliteStorageFactory` needs a pool of its own (bypassing our `synchronous=FULL` and writer
//! gate) and fires on insert, before commit.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use apalis::prelude::{PollSnapshot, PollStrategy};
use portcullis_store::db::Db;
use sqlx::PgPool;
use sqlx::postgres::{PgListener, PgPoolOptions};
use tokio::sync::Notify;
use tokio::sync::futures::OwnedNotified;
use tokio::time::{Instant, Sleep};

/// The Postgres channel; the payload is the queue's name.
pub(crate) const CHANNEL: &str = "portcullis_jobs";

/// This process's SQLite wake signals, per queue (one per running worker set).
type Signals = HashMap<&'static str, Vec<Weak<Notify>>>;
static LOCAL: LazyLock<Mutex<Signals>> = LazyLock::new(Default::default);

/// Wakes this process's workers of `queue` (SQLite; called while the enqueuing transaction
/// still holds the writer gate).
pub(crate) fn signal_local(queue: &str) {
    let mut local = LOCAL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(signals) = local.get_mut(queue) {
        signals.retain(|s| s.upgrade().inspect(|s| s.notify_one()).is_some());
    }
}

fn register_local(queue: &'static str) -> Arc<Notify> {
    let signal = Arc::new(Notify::new());
    let mut local = LOCAL.lock().unwrap_or_else(|e| e.into_inner());
    let signals = local.entry(queue).or_default();
    signals.retain(|s| s.strong_count() > 0);
    signals.push(Arc::downgrade(&signal));
    signal
}

/// Turns enqueue signals for `queue` into wakes of `wake` until dropped (the worker set aborts
/// it when it stops).
pub(crate) async fn source(db: Db, queue: &'static str, wake: Arc<Notify>) {
    match db {
        Db::Sqlite(_, gate) => {
            let signal = register_local(queue);
            loop {
                signal.notified().await;
                // The enqueuing transaction holds the gate until it commits or rolls back.
                match gate.acquire().await {
                    Ok(permit) => drop(permit),
                    Err(_) => return, // the database is closing
                }
                wake.notify_one();
            }
        }
        Db::Postgres(pool) => listen(&pool, queue, &wake).await,
    }
}

async fn listen(pool: &PgPool, queue: &str, wake: &Notify) {
    // Its own one-connection pool: a listener holds its connection for good, which must not
    // starve the shared pool.
    let own = PgPoolOptions::new().max_connections(1).connect_lazy_with((*pool.connect_options()).clone());
    loop {
        let listener = async {
            let mut l = PgListener::connect_with(&own).await?;
            l.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        };
        match listener.await {
            Ok(mut l) => {
                // Anything enqueued while nobody listened.
                wake.notify_one();
                loop {
                    match l.try_recv().await {
                        Ok(Some(n)) if n.payload() == queue => wake.notify_one(),
                        Ok(Some(_)) => {}
                        // Reconnected; notifications may have been lost meanwhile.
                        Ok(None) => wake.notify_one(),
                        Err(e) => {
                            tracing::warn!(queue, error = %e, "job listener failed; polling until it is back");
                            break;
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(queue, error = %e, "job listener cannot connect; polling until it can"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// apalis's poll strategy for our workers: fetch when woken, and at least every `interval`.
///
/// apalis fetches whenever the worker task is polled while idle; a strategy only arranges wakes.
/// A wake that lands while a fetch is already under way would be spent on that fetch, whose
/// snapshot may predate the commit, so each wake is echoed once, at the worker's next poll.
pub(crate) struct WakeOrPoll {
    wake: Arc<Notify>,
    notified: Pin<Box<OwnedNotified>>,
    interval: Duration,
    tick: Pin<Box<Sleep>>,
    echo: bool,
}

impl WakeOrPoll {
    pub(crate) fn new(wake: Arc<Notify>, interval: Duration) -> Self {
        let notified = Box::pin(wake.clone().notified_owned());
        let tick = Box::pin(tokio::time::sleep(interval));
        Self { wake, notified, interval, tick, echo: false }
    }
}

impl PollStrategy for WakeOrPoll {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _: &PollSnapshot) -> Poll<Option<()>> {
        let mut due = false;
        if std::mem::take(&mut self.echo) {
            cx.waker().wake_by_ref();
            due = true;
        }
        // Each loop ends on Pending, which registers the waker for the next wake or tick.
        while self.notified.as_mut().poll(cx).is_ready() {
            self.notified = Box::pin(self.wake.clone().notified_owned());
            self.echo = true;
            due = true;
        }
        while self.tick.as_mut().poll(cx).is_ready() {
            self.tick.as_mut().reset(Instant::now() + self.interval);
            due = true;
        }
        if due { Poll::Ready(Some(())) } else { Poll::Pending }
    }
}
