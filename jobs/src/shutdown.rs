//! Stopping a queue's workers: the jobs in hand finish (within the grace period), nothing new
//! starts, and no lock is left held.
//!
//! apalis's own graceful stop is not used: it stops polling the backend while the jobs in hand
//! finish, which can leave one of its statements (a fetch, a heartbeat) suspended
//! mid-transaction, and on SQLite that transaction holds the one write lock, so neither the jobs
//! in hand nor any other process could write until the grace period ran out. Instead every
//! delivery runs as its own task ([`InFlight`]); on shutdown apalis's worker is dropped at once
//! (its open transactions roll back) and [`drain`] waits for the deliveries, keeping the worker's
//! heartbeat, then hands back the jobs fetched but never started.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use portcullis_store::db::Db;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::table;

/// The deliveries running as tasks (see `worker::run_worker`), across worker restarts: how many, and the
/// switch that abandons them when the shutdown grace period is over.
#[derive(Clone, Default)]
pub(crate) struct InFlight {
    count: Arc<watch::Sender<usize>>,
    abandon: Arc<watch::Sender<bool>>,
}

/// One running delivery; uncounted when dropped.
struct Counted(Arc<watch::Sender<usize>>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

impl InFlight {
    pub(crate) fn spawn(&self, delivery: impl Future<Output = ()> + Send + 'static) -> JoinHandle<()> {
        self.count.send_modify(|n| *n += 1);
        let counted = Counted(self.count.clone());
        let mut abandoned = self.abandon.subscribe();
        tokio::spawn(async move {
            // Abandoned: dropped mid-way, its transaction rolls back; the job is rescued later.
            tokio::select! {
                _ = delivery => {}
                _ = abandoned.wait_for(|a| *a) => {}
            }
            drop(counted);
        })
    }

    async fn none_left(&self) {
        let _ = self.count.subscribe().wait_for(|n| *n == 0).await;
    }
}

/// Shutdown after apalis's worker is gone: lets the deliveries in hand finish within `grace`,
/// keeping `name` alive meanwhile (else other workers would take its jobs as orphans), then
/// hands back the jobs fetched but never started.
pub(crate) async fn drain(db: &Db, name: &str, in_flight: &InFlight, heartbeat: Duration, grace: Duration) {
    let finished = async {
        let mut beat = tokio::time::interval(heartbeat);
        loop {
            tokio::select! {
                _ = in_flight.none_left() => return,
                _ = beat.tick() => {
                    if let Err(e) = table::keep_alive(db, name).await {
                        tracing::warn!(worker = %name, error = %e, "worker heartbeat failed");
                    }
                }
            }
        }
    };
    if tokio::time::timeout(grace, finished).await.is_err() {
        tracing::warn!(worker = %name, "shutdown grace period over; abandoning jobs in hand");
        in_flight.abandon.send_replace(true);
        let _ = tokio::time::timeout(Duration::from_secs(1), in_flight.none_left()).await;
    }
    match table::release_unstarted(db, name).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(worker = %name, jobs = n, "handed back jobs fetched but not started"),
        // Rescued as orphans instead, once this worker's heartbeats are old.
        Err(e) => tracing::warn!(worker = %name, error = %e, "handing back unstarted jobs failed"),
    }
}
