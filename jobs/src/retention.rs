//! Deletes finished jobs after a while; nothing else prunes the jobs table.

use std::future::Future;
use std::time::Duration;

use portcullis_store::db::Db;
use tokio::task::JoinHandle;

use crate::{JobError, table};

/// How long Done and Killed jobs are kept, and how often the pruner runs.
#[derive(Debug, Clone, Copy)]
pub struct RetentionOptions {
    pub max_age: Duration,
    pub every: Duration,
}

impl Default for RetentionOptions {
    fn default() -> Self {
        Self { max_age: Duration::from_secs(7 * 24 * 3600), every: Duration::from_secs(3600) }
    }
}

/// Deletes Done and Killed jobs (of every queue) that finished more than `max_age` ago. Pending,
/// running and retrying jobs are never touched.
pub async fn prune_finished(db: &Db, max_age: Duration) -> Result<u64, JobError> {
    Ok(table::prune(db, max_age).await?)
}

/// Runs [`prune_finished`] now and then every `opts.every` until `shutdown` completes. Failures
/// are logged and retried at the next tick.
pub fn spawn_retention(
    db: Db,
    opts: RetentionOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        tokio::pin!(shutdown);
        let mut tick = tokio::time::interval(opts.every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tick.tick() => {}
            }
            match prune_finished(&db, opts.max_age).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "pruned finished jobs"),
                Err(e) => tracing::warn!(error = %e, "pruning finished jobs failed"),
            }
        }
    })
}
