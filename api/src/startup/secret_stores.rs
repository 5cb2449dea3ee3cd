//! The secret stores at start-up: each store's master key, the key hierarchy over all of them
//! checked against the database, and the store rows synced from the configuration.

use std::sync::Arc;

use anyhow::{Context, bail};
use portcullis_plugins::{MasterKey, MasterKeySource, SimpleCrypto};
use portcullis_store::{Db, KekHierarchy, VaultError};

use super::{DEFAULT_STORE, load_master_key};
use crate::config::Config;

/// One store's name and master key, as configured.
pub struct StoreKey {
    pub name: String,
    pub key: MasterKey,
    pub source: MasterKeySource,
    pub global_default: bool,
}

impl std::fmt::Debug for StoreKey {
    // For the start-up log: where each key came from, never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {:?}{}", self.name, self.source, if self.global_default { " (global default)" } else { "" })
    }
}

/// The master key of every store: the configured `[[secret_stores]]`, or the one implicit
/// `default` store on the top-level master key.
pub fn load_store_keys(config: &Config) -> anyhow::Result<Vec<StoreKey>> {
    if config.secret_stores.is_empty() {
        let (key, source) = load_master_key(config)?;
        return Ok(vec![StoreKey { name: DEFAULT_STORE.into(), key, source, global_default: true }]);
    }
    let mut out = Vec::new();
    for s in &config.secret_stores {
        let what = |detail: String| format!("secret store {:?}: {detail}", s.name);
        let (key, source) = match (&s.master_key_file, &s.master_key_env) {
            (Some(path), _) => (
                MasterKey::read_file(path).with_context(|| what("master_key_file is unusable".into()))?,
                MasterKeySource::File(path.clone()),
            ),
            (None, Some(var)) => {
                let text = zeroize::Zeroizing::new(
                    std::env::var(var).with_context(|| what(format!("master_key_env {var} is not set")))?,
                );
                let key = MasterKey::parse(&text).with_context(|| what(format!("master_key_env {var} is invalid")))?;
                (key, MasterKeySource::Inline)
            }
            (None, None) => load_master_key(config)?,
        };
        out.push(StoreKey { name: s.name.clone(), key, source, global_default: s.global_default });
    }
    Ok(out)
}

/// The key hierarchy over `stores`, checked against the database: a key that did not create its
/// store's KEKs stops the process here rather than failing every request later. Then the store
/// rows are synced from the configuration (a store dropped from it while still in use stops the
/// process too).
pub async fn open_keks(config: &Config, db: &Db, stores: &[StoreKey]) -> anyhow::Result<KekHierarchy> {
    // Metered: every encrypt/decrypt is counted in /metrics.
    let plugin = |s: &StoreKey| Arc::new(crate::metrics::MeteredCrypto(SimpleCrypto::new(&s.key)));
    let default = stores.iter().find(|s| s.global_default).context("no global default secret store")?;
    let mut keks = KekHierarchy::new(&default.name, plugin(default), config.kek_cache_size);
    for s in stores.iter().filter(|s| !s.global_default) {
        keks = keks.with_store(&s.name, plugin(s));
    }
    match keks.verify_stores(db).await {
        Ok(()) => {}
        Err(VaultError::WrongMasterKey { store }) => {
            let source = stores.iter().find(|s| s.name == store).map(|s| &s.source);
            let hint = match source {
                Some(MasterKeySource::DevFile { path, .. }) if path.with_extension("key.new").exists() => format!(
                    " A rotation left {} behind: if `portcullis keys rotate` was interrupted, move that file over {}.",
                    path.with_extension("key.new").display(),
                    path.display()
                ),
                Some(MasterKeySource::File(path)) if !config.secret_stores.is_empty() => {
                    format!(" (the store's master_key_file is {})", path.display())
                }
                _ => String::new(),
            };
            bail!("refusing to start: {}.{hint}", VaultError::WrongMasterKey { store })
        }
        Err(e) => return Err(e).context("cannot check the master keys against the database"),
    }
    let configured: Vec<(&str, bool)> = stores.iter().map(|s| (s.name.as_str(), s.global_default)).collect();
    match portcullis_store::secret_stores::sync(db, &configured).await {
        Ok(()) => Ok(keks),
        Err(e @ portcullis_store::secret_stores::SyncError::StillInUse { .. }) => bail!("refusing to start: {e}"),
        Err(e) => Err(e).context("cannot record the secret stores"),
    }
}
