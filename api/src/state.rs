//! [`AppState`]: the one cloneable handle every handler receives.

use std::ops::Deref;
use std::sync::Arc;

use portcullis_jobs::{CertificateAuthorities, ProcessTypeOrder};
use portcullis_plugins::KeyGenPlugin;
use portcullis_store::{Db, KekHierarchy};

use crate::config::Config;

/// What the API needs to serve a request.
pub struct App {
    pub config: Config,
    pub db: Db,
    /// Master key → project KEK → payload; also caches unwrapped KEKs. Shared with the order
    /// workers of a `serve` process, so both use one KEK cache.
    pub keks: Arc<KekHierarchy>,
    /// The CAs certificate orders go to (signing happens in the workers).
    pub cas: Arc<CertificateAuthorities>,
    /// Decides who is calling (`auth` mode, implied roles); see [`crate::auth`].
    pub auth: crate::auth::Authenticator,
    /// The job workers this process runs, for `GET /health/ready` (set by `commands::serve`).
    pub workers: crate::health::WorkerStatus,
}

impl App {
    /// The handler of the `orders` and `certificate_steps` queues, on this process's key
    /// hierarchy and CAs.
    pub fn order_handler(&self) -> ProcessTypeOrder {
        ProcessTypeOrder {
            keks: self.keks.clone(),
            keygen: Arc::new(crate::metrics::MeteredKeyGen(KeyGenPlugin::new())),
            cas: self.cas.clone(),
            max_attempts: self.config.job_max_attempts,
        }
    }
}

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}
