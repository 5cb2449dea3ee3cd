//! `portcullis migrate`: apply pending migrations and exit.

use portcullis_api::config::Config;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let db = portcullis_api::startup::open_db(&config).await?;
    tracing::info!(backend = ?db.backend(), "migrations applied");
    db.close().await;
    Ok(())
}
