//! `portcullis serve` / `api` / `worker`: run the API, the order workers, or both, until SIGINT
//! or SIGTERM; then drain in-flight requests and let jobs in hand finish (within the workers'
//! grace period: an abandoned job is picked up again by another worker later).

use anyhow::Context;
use portcullis_api::config::Config;
use portcullis_api::startup::{self, retention_options, worker_options};
use portcullis_api::state::AppState;
use portcullis_jobs::{CertificateStepTask, OrderTask, WorkerSet};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// `serve` (`with_workers`) or `api`. Both run `portcullis_jobs::setup` (in `build_state`) so the
/// API can enqueue even when only separate `worker` processes dequeue.
pub async fn run(config: Config, with_workers: bool) -> anyhow::Result<()> {
    let bind = config.bind;
    portcullis_api::auth::check_bind(&config)?;
    let state = startup::build_state(config).await?;
    let listener =
        TcpListener::bind(bind).await.with_context(|| format!("cannot bind {bind} (bind / PORTCULLIS_BIND)"))?;
    // Dropping `stop` (on a signal, or when the server fails) stops the workers.
    let (stop, stopped) = watch::channel(());
    let jobs = with_workers.then(|| start_jobs(&state, &stopped));
    tracing::info!(address = %listener.local_addr()?, workers = with_workers, "portcullis listening");
    let db = state.db.clone();
    let served = portcullis_api::serve(listener, state, async move {
        shutdown_signal().await;
        drop(stop);
    })
    .await;
    if let Some(jobs) = jobs {
        jobs.join().await;
    }
    db.close().await;
    served?;
    tracing::info!("portcullis stopped");
    Ok(())
}

/// `portcullis worker`: the order workers (and job retention) only, until SIGINT or SIGTERM;
/// with `worker_ops_bind` set, also `/metrics` and `/health/*` on that address.
pub async fn worker(config: Config) -> anyhow::Result<()> {
    let ops_bind = config.worker_ops_bind;
    let state = startup::build_state(config).await?;
    let ops = match ops_bind {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot bind {addr} (worker_ops_bind / PORTCULLIS_WORKER_OPS_BIND)"))?,
        ),
        None => None,
    };
    let (stop, stopped) = watch::channel(());
    let jobs = start_jobs(&state, &stopped);
    let ops_address = ops.as_ref().map(|l| l.local_addr()).transpose()?;
    let ops = ops.map(|listener| {
        let mut rx = stopped.clone();
        tokio::spawn(portcullis_api::serve_ops(listener, state.clone(), async move {
            let _ = rx.changed().await;
        }))
    });
    match ops_address {
        Some(addr) => tracing::info!(ops_address = %addr, "portcullis worker running"),
        None => tracing::info!("portcullis worker running"),
    }
    shutdown_signal().await;
    drop(stop);
    jobs.join().await;
    if let Some(ops) = ops {
        let _ = ops.await;
    }
    state.db.close().await;
    tracing::info!("portcullis worker stopped");
    Ok(())
}

/// The background job machinery of one process.
struct Jobs {
    orders: WorkerSet,
    certificate_steps: WorkerSet,
    retention: JoinHandle<()>,
}

impl Jobs {
    async fn join(self) {
        self.orders.join().await;
        self.certificate_steps.join().await;
        let _ = self.retention.await;
    }
}

fn start_jobs(state: &AppState, stopped: &watch::Receiver<()>) -> Jobs {
    let until_stopped = || {
        let mut rx = stopped.clone();
        async move {
            // Resolves when the sender is dropped.
            let _ = rx.changed().await;
        }
    };
    let orders = portcullis_jobs::start_workers::<OrderTask, _>(
        &state.db,
        state.order_handler(),
        worker_options(&state.config),
        until_stopped(),
    );
    let certificate_steps = portcullis_jobs::start_workers::<CertificateStepTask, _>(
        &state.db,
        state.order_handler(),
        worker_options(&state.config),
        until_stopped(),
    );
    let retention =
        portcullis_jobs::spawn_retention(state.db.clone(), retention_options(&state.config), until_stopped());
    // What `GET /health/ready` checks in a process with workers.
    state.workers.started(vec![
        (<OrderTask as portcullis_jobs::Job>::QUEUE, orders.probe()),
        (<CertificateStepTask as portcullis_jobs::Job>::QUEUE, certificate_steps.probe()),
    ]);
    Jobs { orders, certificate_steps, retention }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown requested: finishing in-flight requests and jobs");
}
