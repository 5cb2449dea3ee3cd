//! `CaRepo`: the certificate authorities certificate orders are sent to, and loading the local
//! CA at start-up.
//!
//! The local CA is created on first start: its key pair and self-signed certificate are made by
//! [`portcullis_plugins::LocalCa`], and the private key is sealed by the [`KekHierarchy`] under
//! the KEK of the reserved project [`CA_KEY_PROJECT`], exactly as a secret's payload is. Every
//! process (API or worker) then opens the same row; the first writer wins a concurrent start.

use std::sync::Arc;
use std::time::SystemTime;

use portcullis_plugins::{CertificateAuthority, LocalCa};
use uuid::Uuid;

use crate::db::Db;
use crate::{AsConn, DbResult, KekHierarchy, Timestamp, VaultError, on_conn};

/// The project whose KEK seals CA private keys. Projects named by callers never reach this row's
/// key: the AAD of a sealed CA key names the CA's id.
pub const CA_KEY_PROJECT: &str = "_portcullis_ca";

/// The name of the CA this service creates for itself.
pub const LOCAL_CA_NAME: &str = "local";

/// A CA row. `ca_certificate` is PEM; the key is sealed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaRow {
    pub id: Uuid,
    pub name: String,
    pub plugin_name: String,
    pub description: Option<String>,
    pub ca_certificate: String,
    pub key_kek_id: Uuid,
    pub key_ciphertext: Vec<u8>,
    pub expiration: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "id, name, plugin_name, description, ca_certificate, key_kek_id, key_ciphertext, expiration, \
                       created_at, updated_at";

pub async fn find(c: &mut impl AsConn, id: Uuid) -> DbResult<Option<CaRow>> {
    let sql = format!("SELECT {COLUMNS} FROM certificate_authorities WHERE id = $1");
    on_conn!(c, c => sqlx::query_as::<_, CaRow>(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(c).await)
}

pub async fn find_by_name(c: &mut impl AsConn, name: &str) -> DbResult<Option<CaRow>> {
    let sql = format!("SELECT {COLUMNS} FROM certificate_authorities WHERE name = $1");
    on_conn!(c, c => sqlx::query_as::<_, CaRow>(sqlx::AssertSqlSafe(sql.as_str())).bind(name).fetch_optional(c).await)
}

/// Every CA, oldest first.
pub async fn list(c: &mut impl AsConn) -> DbResult<Vec<CaRow>> {
    let sql = format!("SELECT {COLUMNS} FROM certificate_authorities ORDER BY created_at ASC, id ASC");
    on_conn!(c, c => sqlx::query_as::<_, CaRow>(sqlx::AssertSqlSafe(sql.as_str())).fetch_all(c).await)
}

/// Inserts a CA unless one of that name exists. Returns whether this row was inserted.
async fn insert_if_absent(c: &mut impl AsConn, r: &CaRow) -> DbResult<bool> {
    let sql = "INSERT INTO certificate_authorities (id, name, plugin_name, description, ca_certificate, key_kek_id, \
               key_ciphertext, expiration, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
               ON CONFLICT (name) DO NOTHING";
    let n = on_conn!(c, c => sqlx::query(sql).bind(r.id).bind(&r.name).bind(&r.plugin_name).bind(&r.description)
        .bind(&r.ca_certificate).bind(r.key_kek_id).bind(&r.key_ciphertext).bind(r.expiration).bind(r.created_at)
        .bind(r.updated_at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Why the local CA could not be opened or created.
#[derive(Debug, thiserror::Error)]
pub enum CaSetupError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("sealing or opening the CA key: {0}")]
    Vault(#[from] VaultError),
    #[error("the stored CA key is not PEM text")]
    KeyNotPem,
    #[error("the local CA: {0}")]
    Plugin(#[from] portcullis_plugins::CaError),
}

/// A CA ready to sign: its row and its plugin.
#[derive(Clone)]
pub struct LoadedCa {
    pub row: CaRow,
    pub plugin: Arc<dyn CertificateAuthority>,
}

impl std::fmt::Debug for LoadedCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedCa").field("id", &self.row.id).field("name", &self.row.name).finish_non_exhaustive()
    }
}

/// Validity settings of the local CA.
#[derive(Debug, Clone, Copy)]
pub struct LocalCaSettings {
    pub ca_validity_days: u32,
    pub cert_validity_days: u32,
}

/// Opens the local CA, creating it on first start.
pub async fn open_local_ca(db: &Db, keks: &KekHierarchy, settings: LocalCaSettings) -> Result<LoadedCa, CaSetupError> {
    let existing = find_by_name(&mut db.acquire().await?, LOCAL_CA_NAME).await?;
    let row = match existing {
        Some(row) => row,
        None => create_local_ca(db, keks, settings).await?,
    };
    let key_pem = {
        let mut c = db.acquire().await?;
        let store: String = on_conn!(&mut c, c => sqlx::query_scalar("SELECT store_name FROM project_keks WHERE id = $1")
                .bind(row.key_kek_id).fetch_one(c).await)?;
        keks.open(&mut c, CA_KEY_PROJECT, row.id, &store, row.key_kek_id, &row.key_ciphertext).await?
    };
    let key_pem = std::str::from_utf8(&key_pem).map_err(|_| CaSetupError::KeyNotPem)?;
    let plugin = LocalCa::from_parts(&row.ca_certificate, key_pem, settings.cert_validity_days)?;
    Ok(LoadedCa { row, plugin: Arc::new(plugin) })
}

async fn create_local_ca(db: &Db, keks: &KekHierarchy, settings: LocalCaSettings) -> Result<CaRow, CaSetupError> {
    let (ca, key_pem) =
        LocalCa::generate("Portcullis Local CA", settings.ca_validity_days, settings.cert_validity_days)?;
    let id = Uuid::new_v4();
    let kek = keks.project_kek(db, CA_KEY_PROJECT).await?;
    let sealed = keks.seal(&kek, CA_KEY_PROJECT, id, key_pem.as_bytes())?;
    drop(key_pem);
    let now = Timestamp::now();
    let expiration = chrono::DateTime::<chrono::Utc>::from(
        SystemTime::now() + std::time::Duration::from_secs(u64::from(settings.ca_validity_days) * 86_400),
    );
    let row = CaRow {
        id,
        name: LOCAL_CA_NAME.into(),
        plugin_name: "local_ca".into(),
        description: Some("The CA built into Portcullis".into()),
        ca_certificate: ca.ca_certificate_pem().to_owned(),
        key_kek_id: kek.id,
        key_ciphertext: sealed,
        expiration: Timestamp::from_datetime(expiration),
        created_at: now,
        updated_at: now,
    };
    let mut tx = db.begin().await?;
    let inserted = insert_if_absent(&mut tx, &row).await?;
    let row =
        if inserted { row } else { find_by_name(&mut tx, LOCAL_CA_NAME).await?.ok_or(sqlx::Error::RowNotFound)? };
    tx.commit().await?;
    if inserted {
        tracing::info!(ca_id = %row.id, "created the local certificate authority");
    }
    Ok(row)
}
