//! `SecretConsumerRepo`: services that declared they use a secret (Barbican's
//! `secret_consumer_metadata`). A consumer is identified by its secret and its
//! `(service, resource_type, resource_id)`; at most one live row exists per identity (partial
//! unique index), and removed consumers stay as soft-deleted rows.
//!
//! Callers load the (project-scoped, live) secret first; these functions trust the secret id.

use sqlx::AssertSqlSafe;
use uuid::Uuid;

use crate::query::Page;
use crate::{AsConn, DbResult, Timestamp, on_conn};

/// A consumer row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SecretConsumer {
    pub id: Uuid,
    pub secret_id: Uuid,
    /// The project that registered the consumer.
    pub project_id: String,
    pub service: String,
    pub resource_type: String,
    pub resource_id: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What identifies a consumer of a given secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerKey {
    pub service: String,
    pub resource_type: String,
    pub resource_id: String,
}

/// What [`add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// A live consumer with these values existed; nothing changed.
    Existing,
    /// A soft-deleted consumer with these values was brought back.
    Restored,
    /// A new consumer row was written.
    Inserted,
}

const COLUMNS: &str = "id, secret_id, project_id, service, resource_type, resource_id, created_at, updated_at";

/// Registers a consumer, idempotently as Barbican does: an identical live consumer is kept, a
/// soft-deleted one is restored, otherwise a row is inserted and the secret's `updated_at` is
/// bumped (Barbican touches the secret only when it appends a new consumer).
pub async fn add(
    c: &mut impl AsConn,
    secret_id: Uuid,
    project_id: &str,
    key: &ConsumerKey,
    now: Timestamp,
) -> DbResult<Added> {
    let live = "SELECT count(*) FROM secret_consumers WHERE secret_id = $1 AND service = $2 AND resource_type = $3 \
                AND resource_id = $4 AND NOT deleted";
    let n: i64 = on_conn!(c, c => sqlx::query_scalar(live).bind(secret_id).bind(&key.service).bind(&key.resource_type)
        .bind(&key.resource_id).fetch_one(c).await)?;
    if n > 0 {
        return Ok(Added::Existing);
    }
    // Several deleted rows may match (deleted, re-added, deleted again): restore the latest.
    let restore = "UPDATE secret_consumers SET deleted = FALSE, deleted_at = NULL, updated_at = $5 WHERE id = \
                   (SELECT id FROM secret_consumers WHERE secret_id = $1 AND service = $2 AND resource_type = $3 \
                   AND resource_id = $4 AND deleted ORDER BY deleted_at DESC, id LIMIT 1)";
    let restored = on_conn!(c, c => sqlx::query(restore).bind(secret_id).bind(&key.service).bind(&key.resource_type)
        .bind(&key.resource_id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    if restored > 0 {
        return Ok(Added::Restored);
    }
    // A concurrent request may have inserted the same consumer since the check above; the
    // unique index then makes this a no-op, which is the idempotent answer.
    let insert = "INSERT INTO secret_consumers (id, secret_id, project_id, service, resource_type, resource_id, \
                  created_at, updated_at, deleted) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, FALSE) ON CONFLICT DO NOTHING";
    let inserted = on_conn!(c, c => sqlx::query(insert).bind(Uuid::new_v4()).bind(secret_id).bind(project_id)
        .bind(&key.service).bind(&key.resource_type).bind(&key.resource_id).bind(now)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    if inserted == 0 {
        return Ok(Added::Existing);
    }
    on_conn!(c, c => sqlx::query("UPDATE secrets SET updated_at = $2 WHERE id = $1").bind(secret_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(Added::Inserted)
}

/// Soft-deletes the live consumer with these values. Returns whether there was one.
pub async fn remove(c: &mut impl AsConn, secret_id: Uuid, key: &ConsumerKey, now: Timestamp) -> DbResult<bool> {
    let sql = "UPDATE secret_consumers SET deleted = TRUE, deleted_at = $5, updated_at = $5 \
               WHERE secret_id = $1 AND service = $2 AND resource_type = $3 AND resource_id = $4 AND NOT deleted";
    let done = on_conn!(c, c => sqlx::query(sql).bind(secret_id).bind(&key.service).bind(&key.resource_type)
        .bind(&key.resource_id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done > 0)
}

/// The live consumer of a secret with these values, if any.
pub async fn find_by_values(
    c: &mut impl AsConn,
    secret_id: Uuid,
    key: &ConsumerKey,
) -> DbResult<Option<SecretConsumer>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM secret_consumers \
         WHERE secret_id = $1 AND service = $2 AND resource_type = $3 AND resource_id = $4 AND NOT deleted"
    );
    on_conn!(c, c => sqlx::query_as::<_, SecretConsumer>(AssertSqlSafe(sql.as_str())).bind(secret_id)
        .bind(&key.service).bind(&key.resource_type).bind(&key.resource_id).fetch_optional(c).await)
}

/// Soft-deletes every live consumer of a secret (the secret is being deleted).
pub async fn remove_all_of_secret(c: &mut impl AsConn, secret_id: Uuid, now: Timestamp) -> DbResult<()> {
    let sql = "UPDATE secret_consumers SET deleted = TRUE, deleted_at = $2, updated_at = $2 WHERE secret_id = $1 AND NOT deleted";
    on_conn!(c, c => sqlx::query(sql).bind(secret_id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// One live consumer of a secret by id.
pub async fn find(c: &mut impl AsConn, secret_id: Uuid, id: Uuid) -> DbResult<Option<SecretConsumer>> {
    let sql = format!("SELECT {COLUMNS} FROM secret_consumers WHERE id = $1 AND secret_id = $2 AND NOT deleted");
    on_conn!(c, c => sqlx::query_as::<_, SecretConsumer>(AssertSqlSafe(sql.as_str())).bind(id).bind(secret_id).fetch_optional(c).await)
}

/// One page of a secret's live consumers, oldest first, and their total count.
pub async fn list(c: &mut impl AsConn, secret_id: Uuid, page: Page) -> DbResult<(Vec<SecretConsumer>, i64)> {
    let select = format!(
        "SELECT {COLUMNS} FROM secret_consumers WHERE secret_id = $1 AND NOT deleted \
         ORDER BY created_at, id LIMIT $2 OFFSET $3"
    );
    let count = "SELECT count(*) FROM secret_consumers WHERE secret_id = $1 AND NOT deleted";
    on_conn!(c, c => {
        let rows = sqlx::query_as::<_, SecretConsumer>(AssertSqlSafe(select.as_str()))
            .bind(secret_id).bind(page.limit).bind(page.offset).fetch_all(&mut *c).await?;
        let total: i64 = sqlx::query_scalar(count).bind(secret_id).fetch_one(&mut *c).await?;
        Ok((rows, total))
    })
}

/// The live consumers of several secrets in one query, oldest first (for secret bodies and
/// lists). Callers group them by `secret_id`.
pub async fn live_of_secrets(c: &mut impl AsConn, secret_ids: &[Uuid]) -> DbResult<Vec<SecretConsumer>> {
    if secret_ids.is_empty() {
        return Ok(Vec::new());
    }
    // SQLite has no array binds: one placeholder per id (callers pass at most a page, ≤ 100).
    let placeholders: Vec<String> = (1..=secret_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM secret_consumers WHERE secret_id IN ({}) AND NOT deleted ORDER BY created_at, id",
        placeholders.join(", ")
    );
    on_conn!(c, c => {
        let mut q = sqlx::query_as::<_, SecretConsumer>(AssertSqlSafe(sql.as_str()));
        for id in secret_ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}
