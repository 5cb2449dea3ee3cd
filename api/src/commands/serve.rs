//! `portcullis serve` / `api`: bind, serve until SIGINT or SIGTERM, then drain in-flight requests.

use anyhow::Context;
use portcullis_api::config::Config;
use tokio::net::TcpListener;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let bind = config.bind;
    let state = portcullis_api::startup::build_state(config).await?;
    let listener =
        TcpListener::bind(bind).await.with_context(|| format!("cannot bind {bind} (bind / PORTCULLIS_BIND)"))?;
    tracing::info!(address = %listener.local_addr()?, "portcullis listening");
    let db = state.db.clone();
    portcullis_api::serve(listener, state, shutdown_signal()).await?;
    db.close().await;
    tracing::info!("portcullis stopped");
    Ok(())
}

/// `portcullis worker`: orders and their job queues arrive with the orders issue; until then
/// there is nothing for a worker process to run, and it says so instead of idling.
pub async fn worker(_config: Config) -> anyhow::Result<()> {
    anyhow::bail!("this build has no job queues yet: `portcullis worker` starts processing orders once orders exist")
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
    tracing::info!("shutdown requested: finishing in-flight requests");
}
