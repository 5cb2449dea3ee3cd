//! `SecretStoreRepo`: the configured secret stores as the API lists them (Barbican's
//! `secret_stores`), and each project's preferred store (`project_secret_stores`).
//!
//! A store's row is its `crypto_stores` row: [`crate::KekHierarchy::verify_stores`] creates it
//! with the key check, then [`sync`] gives it its stable id and global-default flag and removes
//! the stores no longer configured, refusing (as Barbican does) while one is still in use.

use uuid::Uuid;

use crate::{AsConn, Db, DbResult, Timestamp, on_conn};

/// Barbican's name for the secret-store plugin every Portcullis store is: payloads encrypted by a
/// crypto plugin and kept in the database.
pub const STORE_PLUGIN: &str = "store_crypto";

/// A configured secret store.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SecretStore {
    pub id: Uuid,
    pub name: String,
    /// The crypto plugin (`simple_crypto`).
    pub plugin: String,
    pub global_default: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Why the stored stores cannot be brought in line with the configuration.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error(
        "secret store {name:?} is no longer configured, but it holds {keks} project KEK(s) and is the preferred \
         store of {projects} project(s); add it back to [[secret_stores]] with its master key"
    )]
    StillInUse { name: String, keks: i64, projects: i64 },
}

const COLUMNS: &str = "id, name, plugin, global_default, created_at, updated_at";

/// Brings the store rows in line with the configured stores (`(name, global_default)`), in one
/// transaction: a store seen for the first time gets its id, flags follow the configuration, and
/// a store no longer configured is removed unless it still holds KEKs or is a project's
/// preference (then nothing changes and start-up must stop). Every configured store must already
/// have its row (see [`crate::KekHierarchy::verify_stores`]).
pub async fn sync(db: &Db, configured: &[(&str, bool)]) -> Result<(), SyncError> {
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    for (name, global_default) in configured {
        // Guarded on `id IS NULL`: of two processes starting together, the first id stays.
        on_conn!(&mut tx, c => sqlx::query("UPDATE crypto_stores SET id = $2 WHERE name = $1 AND id IS NULL")
            .bind(*name).bind(Uuid::new_v4()).execute(c).await.map(|r| r.rows_affected()))?;
        let sql = "UPDATE crypto_stores SET global_default = $2, updated_at = $3 \
                   WHERE name = $1 AND global_default <> $2";
        on_conn!(&mut tx, c => sqlx::query(sql).bind(*name).bind(*global_default).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
    }
    let stored: Vec<String> =
        on_conn!(&mut tx, c => sqlx::query_scalar("SELECT name FROM crypto_stores").fetch_all(c).await)?;
    for name in stored.iter().filter(|n| !configured.iter().any(|(c, _)| c == n)) {
        let keks: i64 = on_conn!(&mut tx, c => sqlx::query_scalar(
            "SELECT count(*) FROM project_keks WHERE store_name = $1").bind(name).fetch_one(c).await)?;
        let projects: i64 = on_conn!(&mut tx, c => sqlx::query_scalar(
            "SELECT count(*) FROM project_secret_stores WHERE store_name = $1").bind(name).fetch_one(c).await)?;
        if keks > 0 || projects > 0 {
            return Err(SyncError::StillInUse { name: name.clone(), keks, projects });
        }
        on_conn!(&mut tx, c => sqlx::query("DELETE FROM crypto_stores WHERE name = $1").bind(name)
            .execute(c).await.map(|r| r.rows_affected()))?;
    }
    tx.commit().await?;
    Ok(())
}

/// Every store, in creation order.
#[tracing::instrument(level = "debug", name = "secret_stores.list", skip_all)]
pub async fn list(c: &mut impl AsConn) -> DbResult<Vec<SecretStore>> {
    let sql = format!("SELECT {COLUMNS} FROM crypto_stores WHERE id IS NOT NULL ORDER BY created_at, name");
    on_conn!(c, c => sqlx::query_as::<_, SecretStore>(sqlx::AssertSqlSafe(sql.as_str())).fetch_all(c).await)
}

/// The store with this id.
#[tracing::instrument(level = "debug", name = "secret_stores.find", skip_all)]
pub async fn find(c: &mut impl AsConn, id: Uuid) -> DbResult<Option<SecretStore>> {
    let sql = format!("SELECT {COLUMNS} FROM crypto_stores WHERE id = $1");
    on_conn!(c, c => sqlx::query_as::<_, SecretStore>(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(c).await)
}

/// The global default store.
pub async fn global_default(c: &mut impl AsConn) -> DbResult<Option<SecretStore>> {
    let sql = format!("SELECT {COLUMNS} FROM crypto_stores WHERE global_default AND id IS NOT NULL");
    on_conn!(c, c => sqlx::query_as::<_, SecretStore>(sqlx::AssertSqlSafe(sql.as_str())).fetch_optional(c).await)
}

/// The preferred store of `project_id`, if it has set one.
#[tracing::instrument(level = "debug", name = "secret_stores.preferred", skip_all)]
pub async fn preferred(c: &mut impl AsConn, project_id: &str) -> DbResult<Option<SecretStore>> {
    let sql = "SELECT s.id, s.name, s.plugin, s.global_default, s.created_at, s.updated_at \
               FROM project_secret_stores p JOIN crypto_stores s ON s.name = p.store_name WHERE p.project_id = $1";
    on_conn!(c, c => sqlx::query_as::<_, SecretStore>(sql).bind(project_id).fetch_optional(c).await)
}

/// The name of `project_id`'s preferred store, if any (the KEK hierarchy's lookup).
pub async fn preferred_name(c: &mut impl AsConn, project_id: &str) -> DbResult<Option<String>> {
    on_conn!(c, c => sqlx::query_scalar("SELECT store_name FROM project_secret_stores WHERE project_id = $1")
        .bind(project_id).fetch_optional(c).await)
}

/// Makes `store_name` the preferred store of `project_id`, replacing any earlier choice.
#[tracing::instrument(level = "debug", name = "secret_stores.set_preferred", skip_all)]
pub async fn set_preferred(c: &mut impl AsConn, project_id: &str, store_name: &str, now: Timestamp) -> DbResult<()> {
    let sql = "INSERT INTO project_secret_stores (project_id, store_name, created_at, updated_at) \
               VALUES ($1, $2, $3, $3) \
               ON CONFLICT (project_id) DO UPDATE SET store_name = excluded.store_name, updated_at = excluded.updated_at";
    on_conn!(c, c => sqlx::query(sql).bind(project_id).bind(store_name).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Removes `project_id`'s preferred store; returns whether it had one.
#[tracing::instrument(level = "debug", name = "secret_stores.clear_preferred", skip_all)]
pub async fn clear_preferred(c: &mut impl AsConn, project_id: &str) -> DbResult<bool> {
    let n = on_conn!(c, c => sqlx::query("DELETE FROM project_secret_stores WHERE project_id = $1")
        .bind(project_id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}
