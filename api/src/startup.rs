//! Start-up: open the database, apply migrations, load the master key of every secret store and
//! check each against the stored key hierarchy. Any failure stops the process with a message that
//! says what to fix.
//!
//! # Layout
//! - this file: the database, the top-level master key, workers' settings, the state.
//! - `secret_stores.rs`: each store's master key, the key hierarchy, syncing the store rows.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use portcullis_jobs::{CaApproval, CertificateAuthorities, RetentionOptions, RetryPolicy, WorkerOptions};
use portcullis_plugins::{MasterKey, MasterKeySource};
use portcullis_store::certificate_authorities::{LocalCaSettings, open_local_ca};
use portcullis_store::{Db, KekHierarchy, PoolSettings};

use crate::config::{CaApprovalMode, Config};
use crate::state::{App, AppState};

mod secret_stores;

pub use secret_stores::{StoreKey, load_store_keys, open_keks};

/// The name of the implicit crypto store of a deployment without `[[secret_stores]]`.
pub const DEFAULT_STORE: &str = "default";

/// Where the development master key lives: `<data_dir>/master.key`.
pub fn dev_key_path(config: &Config) -> PathBuf {
    config.data_dir.join("master.key")
}

/// Loads the configured master key, or the development key (generated on first start).
pub fn load_master_key(config: &Config) -> anyhow::Result<(MasterKey, MasterKeySource)> {
    if let Some(inline) = &config.master_key {
        let key = MasterKey::parse(&inline.0).context("master_key (PORTCULLIS_MASTER_KEY) is invalid")?;
        return Ok((key, MasterKeySource::Inline));
    }
    if let Some(path) = &config.master_key_file {
        let key = MasterKey::read_file(path).context("master_key_file (PORTCULLIS_MASTER_KEY_FILE) is unusable")?;
        return Ok((key, MasterKeySource::File(path.clone())));
    }
    let path = dev_key_path(config);
    let (key, created) =
        MasterKey::load_or_create(&path).context("cannot load or create the development master key")?;
    if created {
        tracing::warn!(
            path = %path.display(),
            "GENERATED A NEW DEVELOPMENT MASTER KEY. Every secret stored from now on depends on this file: \
             back it up, and for production set PORTCULLIS_MASTER_KEY_FILE to a key made with `portcullis keys create`."
        );
    }
    Ok((key, MasterKeySource::DevFile { path, created }))
}

/// Connects to the configured database (creating the data dir for SQLite) and applies migrations.
pub async fn open_db(config: &Config) -> anyhow::Result<Db> {
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("cannot create data_dir (PORTCULLIS_DATA_DIR) {}", config.data_dir.display()))?;
    }
    let settings = PoolSettings { max_connections: config.db_max_connections, ..PoolSettings::default() };
    let db = Db::connect(&url, &settings).await.context("cannot connect to the database (DATABASE_URL)")?;
    db.migrate().await.context("cannot apply database migrations")?;
    Ok(db)
}

/// The order workers' settings from the configuration.
pub fn worker_options(config: &Config) -> WorkerOptions {
    let secs = Duration::from_secs;
    WorkerOptions {
        concurrency: config.worker_concurrency,
        orphan_timeout: secs(config.job_orphan_timeout_secs),
        timeout: secs(config.job_timeout_secs),
        poll_interval: Duration::from_millis(config.job_poll_interval_ms),
        retry: RetryPolicy { base: secs(config.job_retry_base_secs), ..RetryPolicy::default() },
        faults: config.faults.clone().unwrap_or_default(),
        ..WorkerOptions::default()
    }
}

/// How long finished jobs are kept, and how often they are pruned: hourly, or four times per
/// retention period when that is shorter, so a short retention is kept to within a quarter.
pub fn retention_options(config: &Config) -> RetentionOptions {
    let max_age = Duration::from_secs(config.job_retention_secs.unwrap_or(config.job_retention_days * 24 * 3600));
    let every = RetentionOptions::default().every.min(max_age / 4).max(Duration::from_secs(1));
    RetentionOptions { max_age, every }
}

/// Everything the API needs, ready to serve.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    // Before touching the database: a bad key file stops start-up at once.
    let auth = crate::auth::Authenticator::from_config(&config)?;
    let db = open_db(&config).await?;
    let stores = load_store_keys(&config)?;
    let keks = open_keks(&config, &db, &stores).await?;
    // apalis's tables: every process enqueues (the API) or dequeues (workers) order jobs.
    portcullis_jobs::setup(&db).await.context("cannot create the job queue tables")?;
    let cas = open_cas(&config, &db, &keks).await?;
    tracing::info!(backend = ?db.backend(), secret_stores = ?stores, "storage ready");
    let workers = Default::default();
    Ok(AppState(Arc::new(App { config, db, keks: Arc::new(keks), cas: Arc::new(cas), auth, workers })))
}

/// The certificate authorities: the local CA, created (with its key sealed like a payload) on
/// the first start.
pub async fn open_cas(config: &Config, db: &Db, keks: &KekHierarchy) -> anyhow::Result<CertificateAuthorities> {
    let settings =
        LocalCaSettings { ca_validity_days: config.ca_validity_days, cert_validity_days: config.ca_cert_validity_days };
    let local = open_local_ca(db, keks, settings).await.context("cannot open the local certificate authority")?;
    let approval = match config.ca_approval {
        CaApprovalMode::Auto => CaApproval::Auto,
        CaApprovalMode::Manual => CaApproval::Manual,
    };
    let mut cas = CertificateAuthorities::new([local], approval);
    cas.check_interval = Duration::from_secs(config.ca_check_interval_secs);
    cas.hold_timeout = Duration::from_secs(config.ca_hold_timeout_secs);
    Ok(cas)
}
