//! [`KekHierarchy`]: master key → project KEK → payload.
//!
//! Each crypto store is a [`CryptoPlugin`] with its own master key. A project gets one KEK per
//! store on first use, stored wrapped (`project_keks`); unwrapped KEKs live in a bounded cache so
//! the hot path does neither a KEK lookup nor an unwrap.
//!
//! New payloads go to the project's preferred store, else the global default
//! ([`KekHierarchy::project_kek`]); a payload is always opened by the store of the KEK that
//! sealed it ([`KekHierarchy::open`]), so changing a preference never strands a secret.

use std::collections::HashMap;
use std::sync::Arc;

use portcullis_plugins::kek_cache::CachedKek;
use portcullis_plugins::{CryptoPlugin, KekCache, PluginError, kek_aad, payload_aad};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::db::ConnRef;
use crate::{AsConn, Db, Timestamp, on_conn};

/// Why sealing or opening a payload failed.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("crypto error: {0}")]
    Crypto(#[from] PluginError),
    #[error("no crypto store named {0:?} is configured")]
    UnknownStore(String),
    #[error(
        "the master key of crypto store {store:?} is not the one its KEKs are wrapped with; \
         start with the store's current master key (PORTCULLIS_MASTER_KEY_FILE or PORTCULLIS_MASTER_KEY; \
         after `portcullis keys rotate`, the new key)"
    )]
    WrongMasterKey { store: String },
    #[error("KEK {0} belongs to another project")]
    ForeignKek(Uuid),
}

/// The crypto stores of a deployment and the cache of unwrapped project KEKs.
pub struct KekHierarchy {
    stores: HashMap<String, Arc<dyn CryptoPlugin>>,
    default_store: String,
    cache: KekCache,
}

#[derive(sqlx::FromRow)]
struct KekRow {
    id: Uuid,
    project_id: String,
    store_name: String,
    wrapped_key: Vec<u8>,
}

impl KekHierarchy {
    /// A hierarchy with one store, the (global) default.
    pub fn new(default_store: &str, plugin: Arc<dyn CryptoPlugin>, cache_capacity: usize) -> Self {
        let mut stores = HashMap::new();
        stores.insert(default_store.to_owned(), plugin);
        Self { stores, default_store: default_store.to_owned(), cache: KekCache::new(cache_capacity) }
    }

    /// Adds another store, with its own master key.
    pub fn with_store(mut self, name: &str, plugin: Arc<dyn CryptoPlugin>) -> Self {
        self.stores.insert(name.to_owned(), plugin);
        self
    }

    pub fn default_store(&self) -> &str {
        &self.default_store
    }

    /// Whether `name` is one of this hierarchy's stores.
    pub fn has_store(&self, name: &str) -> bool {
        self.stores.contains_key(name)
    }

    fn plugin(&self, store: &str) -> Result<&Arc<dyn CryptoPlugin>, VaultError> {
        self.stores.get(store).ok_or_else(|| VaultError::UnknownStore(store.to_owned()))
    }

    /// Records each store on first start, and on every later start checks that its configured
    /// master key is the one the store was created with. Run before serving.
    pub async fn verify_stores(&self, db: &Db) -> Result<(), VaultError> {
        for (name, plugin) in &self.stores {
            let mut c = db.acquire().await?;
            let check: Option<Vec<u8>> = on_conn!(&mut c, c => sqlx::query_scalar(
                "SELECT key_check FROM crypto_stores WHERE name = $1").bind(name).fetch_optional(c).await)?;
            match check {
                Some(check) if plugin.verify_key_check(name, &check) => {}
                Some(_) => return Err(VaultError::WrongMasterKey { store: name.clone() }),
                None => {
                    let now = Timestamp::now();
                    let check = plugin.key_check(name)?;
                    let sql = "INSERT INTO crypto_stores (name, plugin, key_check, created_at, updated_at) \
                               VALUES ($1, $2, $3, $4, $4) ON CONFLICT (name) DO NOTHING";
                    on_conn!(&mut c, c => sqlx::query(sql).bind(name).bind(plugin.plugin_name()).bind(&check)
                        .bind(now).execute(c).await.map(|r| r.rows_affected()))?;
                    // Another process may have registered the store first, with another key.
                    let stored: Vec<u8> = on_conn!(&mut c, c => sqlx::query_scalar(
                        "SELECT key_check FROM crypto_stores WHERE name = $1").bind(name).fetch_one(c).await)?;
                    if !plugin.verify_key_check(name, &stored) {
                        return Err(VaultError::WrongMasterKey { store: name.clone() });
                    }
                }
            }
        }
        Ok(())
    }

    /// The KEK new payloads of `project_id` are sealed under: in the project's preferred store,
    /// else the global default; created on first use. Runs on its own pooled connection and
    /// commits at once, so call it before opening the request's transaction: a KEK must never
    /// live only in a transaction that may roll back while the cache remembers it.
    pub async fn project_kek(&self, db: &Db, project_id: &str) -> Result<CachedKek, VaultError> {
        // With one store there is nothing to choose: no preference lookup on the hot path.
        let preferred = if self.stores.len() > 1 {
            crate::secret_stores::preferred_name(&mut db.acquire().await?, project_id).await?
        } else {
            None
        };
        let store = preferred.unwrap_or_else(|| self.default_store.clone());
        self.project_kek_in(db, &store, project_id).await
    }

    /// `project_id`'s KEK in `store`, created on first use (see [`KekHierarchy::project_kek`]).
    pub async fn project_kek_in(&self, db: &Db, store: &str, project_id: &str) -> Result<CachedKek, VaultError> {
        if let Some(k) = self.cache.get(store, project_id) {
            return Ok(k);
        }
        let plugin = self.plugin(store)?;
        let mut c = db.acquire().await?;
        let select = "SELECT id, project_id, store_name, wrapped_key FROM project_keks \
                      WHERE project_id = $1 AND store_name = $2";
        let mut row: Option<KekRow> = on_conn!(&mut c, c => sqlx::query_as(select)
            .bind(project_id).bind(store).fetch_optional(c).await)?;
        if row.is_none() {
            drop(c);
            row = Some(self.create_kek(db, plugin.as_ref(), store, project_id).await?);
        }
        let row = row.ok_or(VaultError::Db(sqlx::Error::RowNotFound))?;
        let key = match plugin.unwrap_kek(&row.wrapped_key, &kek_aad(&row.store_name, &row.project_id, &row.id)) {
            Ok(k) => k,
            Err(e) => return Err(self.explain_unwrap_failure(&mut db.acquire().await?, store, e).await),
        };
        let cached = CachedKek { id: row.id, store: store.into(), key: Arc::new(key) };
        self.cache.put(store, project_id, cached.clone());
        Ok(cached)
    }

    /// Creates the project's KEK in its own transaction, wrapped under this process's master
    /// key, but only while that key is still the store's: a process left running with the old
    /// key after `portcullis keys rotate` must not write a KEK the new key cannot unwrap (every
    /// secret sealed under it would be lost). The store row is locked for the check, so a
    /// concurrent rotation either waits for this KEK (and re-wraps it) or makes this fail.
    async fn create_kek(
        &self,
        db: &Db,
        plugin: &dyn CryptoPlugin,
        store: &str,
        project_id: &str,
    ) -> Result<KekRow, VaultError> {
        let id = Uuid::new_v4();
        let wrapped = plugin.generate_wrapped_kek(&kek_aad(store, project_id, &id))?;
        let now = Timestamp::now();
        // SQLite: `begin` takes the write lock (BEGIN IMMEDIATE), serialising with rotation.
        let mut tx = db.begin().await?;
        let check: Option<Vec<u8>> = match AsConn::conn(&mut tx) {
            ConnRef::Postgres(c) => {
                sqlx::query_scalar("SELECT key_check FROM crypto_stores WHERE name = $1 FOR SHARE")
                    .bind(store)
                    .fetch_optional(c)
                    .await?
            }
            ConnRef::Sqlite(c) => {
                sqlx::query_scalar("SELECT key_check FROM crypto_stores WHERE name = $1")
                    .bind(store)
                    .fetch_optional(c)
                    .await?
            }
        };
        if !check.is_some_and(|check| plugin.verify_key_check(store, &check)) {
            return Err(VaultError::WrongMasterKey { store: store.to_owned() });
        }
        let insert = "INSERT INTO project_keks (id, project_id, store_name, wrapped_key, created_at, updated_at) \
                      VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (project_id, store_name) DO NOTHING";
        on_conn!(&mut tx, c => sqlx::query(insert).bind(id).bind(project_id).bind(store).bind(&wrapped)
            .bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        // Whoever won a concurrent first use, everyone now reads the same row.
        let select = "SELECT id, project_id, store_name, wrapped_key FROM project_keks \
                      WHERE project_id = $1 AND store_name = $2";
        let row: KekRow =
            on_conn!(&mut tx, c => sqlx::query_as(select).bind(project_id).bind(store).fetch_one(c).await)?;
        tx.commit().await?;
        Ok(row)
    }

    /// A stored KEK did not unwrap. If this process's master key is no longer the store's (the
    /// key was rotated while it ran), say so instead of blaming the stored data.
    async fn explain_unwrap_failure(&self, c: &mut impl AsConn, store: &str, err: PluginError) -> VaultError {
        let Ok(plugin) = self.plugin(store) else { return err.into() };
        let check: Result<Option<Vec<u8>>, sqlx::Error> = on_conn!(c, c => sqlx::query_scalar("SELECT key_check FROM crypto_stores WHERE name = $1").bind(store).fetch_optional(c).await);
        match check {
            Ok(Some(check)) if !plugin.verify_key_check(store, &check) => {
                VaultError::WrongMasterKey { store: store.to_owned() }
            }
            _ => err.into(),
        }
    }

    /// Seals a payload for `secret_id` under the project's KEK, by the KEK's store.
    pub fn seal(
        &self,
        kek: &CachedKek,
        project_id: &str,
        secret_id: Uuid,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        let plugin = self.plugin(&kek.store)?;
        Ok(plugin.encrypt(&kek.key, plaintext, &payload_aad(project_id, &secret_id))?)
    }

    /// Opens a payload sealed for `secret_id` of `project_id` by the KEK `kek_id` of `store`.
    /// A ciphertext moved to another secret or project fails with
    /// [`PluginError::Authentication`]: it never opens to the wrong plaintext.
    pub async fn open(
        &self,
        c: &mut impl AsConn,
        project_id: &str,
        secret_id: Uuid,
        store: &str,
        kek_id: Uuid,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let plugin = self.plugin(store)?;
        let kek = match self.cache.get(store, project_id) {
            Some(k) if k.id == kek_id => k,
            _ => {
                let row: KekRow = on_conn!(c, c => sqlx::query_as(
                    "SELECT id, project_id, store_name, wrapped_key FROM project_keks WHERE id = $1")
                    .bind(kek_id).fetch_one(c).await)?;
                if row.project_id != project_id {
                    return Err(VaultError::ForeignKek(kek_id));
                }
                let key = match plugin.unwrap_kek(&row.wrapped_key, &kek_aad(&row.store_name, &row.project_id, &row.id))
                {
                    Ok(k) => k,
                    Err(e) => return Err(self.explain_unwrap_failure(c, store, e).await),
                };
                let cached = CachedKek { id: row.id, store: store.into(), key: Arc::new(key) };
                self.cache.put(store, project_id, cached.clone());
                cached
            }
        };
        Ok(plugin.decrypt(&kek.key, ciphertext, &payload_aad(project_id, &secret_id))?)
    }

    /// Re-wraps every KEK of `store` under `new_plugin`'s master key and records the new key
    /// check, in one transaction: payloads are not touched. Returns how many KEKs were re-wrapped.
    pub async fn rotate_master_key(
        &self,
        db: &Db,
        store: &str,
        new_plugin: &dyn CryptoPlugin,
    ) -> Result<u64, VaultError> {
        let old = self.plugin(store)?;
        let mut tx = db.begin().await?;
        // Lock the store row first: KEK creation checks the key under a share lock on it
        // (Postgres; on SQLite the transaction already holds the write lock), so no KEK wrapped
        // under the old key can be added behind this rotation's back.
        if let ConnRef::Postgres(c) = AsConn::conn(&mut tx) {
            sqlx::query("SELECT name FROM crypto_stores WHERE name = $1 FOR UPDATE").bind(store).execute(c).await?;
        }
        let rows: Vec<KekRow> = on_conn!(&mut tx, c => sqlx::query_as(
            "SELECT id, project_id, store_name, wrapped_key FROM project_keks WHERE store_name = $1")
            .bind(store).fetch_all(c).await)?;
        let now = Timestamp::now();
        for row in &rows {
            let aad = kek_aad(&row.store_name, &row.project_id, &row.id);
            let kek = old.unwrap_kek(&row.wrapped_key, &aad)?;
            let wrapped = new_plugin.wrap_kek(&kek, &aad)?;
            on_conn!(&mut tx, c => sqlx::query("UPDATE project_keks SET wrapped_key = $2, updated_at = $3 WHERE id = $1")
                .bind(row.id).bind(&wrapped).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        }
        let check = new_plugin.key_check(store)?;
        on_conn!(&mut tx, c => sqlx::query("UPDATE crypto_stores SET key_check = $2, updated_at = $3 WHERE name = $1")
            .bind(store).bind(&check).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        tx.commit().await?;
        self.cache.clear();
        Ok(rows.len() as u64)
    }
}
