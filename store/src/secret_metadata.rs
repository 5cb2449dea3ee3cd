//! `SecretMetadataRepo`: a secret's user metadata, free key/value pairs unique per secret
//! (Barbican's `secret_user_metadata`).
//!
//! Callers load the (project-scoped, live) secret first; these functions trust the secret id.
//! Removing a key is a hard delete, as in Barbican.

use sqlx::AssertSqlSafe;
use uuid::Uuid;

use crate::{AsConn, DbResult, Timestamp, on_conn};

/// Rows per `INSERT` in [`replace_all`]: keeps the bind count (2 per row) far below SQLite's and
/// Postgres's limits whatever the request size limit is.
const INSERT_CHUNK: usize = 500;

/// Every key/value of a secret, ordered by key.
pub async fn all(c: &mut impl AsConn, secret_id: Uuid) -> DbResult<Vec<(String, String)>> {
    let sql = "SELECT key, value FROM secret_user_metadata WHERE secret_id = $1 ORDER BY key";
    on_conn!(c, c => sqlx::query_as::<_, (String, String)>(sql).bind(secret_id).fetch_all(c).await)
}

/// The value of one key, if the secret has it.
pub async fn find(c: &mut impl AsConn, secret_id: Uuid, key: &str) -> DbResult<Option<String>> {
    let sql = "SELECT value FROM secret_user_metadata WHERE secret_id = $1 AND key = $2";
    on_conn!(c, c => sqlx::query_scalar::<_, String>(sql).bind(secret_id).bind(key).fetch_optional(c).await)
}

/// Replaces all of a secret's metadata with `entries` (keys must be unique).
pub async fn replace_all(
    c: &mut impl AsConn,
    secret_id: Uuid,
    entries: &[(String, String)],
    now: Timestamp,
) -> DbResult<()> {
    on_conn!(c, c => sqlx::query("DELETE FROM secret_user_metadata WHERE secret_id = $1").bind(secret_id)
        .execute(c).await.map(|r| r.rows_affected()))?;
    for chunk in entries.chunks(INSERT_CHUNK) {
        // $1 is the secret, $2 the timestamp; each row adds its key and value.
        let rows: Vec<String> =
            (0..chunk.len()).map(|i| format!("($1, ${}, ${}, $2, $2)", 2 * i + 3, 2 * i + 4)).collect();
        let sql = format!(
            "INSERT INTO secret_user_metadata (secret_id, key, value, created_at, updated_at) VALUES {}",
            rows.join(", ")
        );
        on_conn!(c, c => {
            let mut q = sqlx::query(AssertSqlSafe(sql.as_str())).bind(secret_id).bind(now);
            for (k, v) in chunk {
                q = q.bind(k.as_str()).bind(v.as_str());
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// Adds one key. Returns `false` (and changes nothing) if the secret already has it.
pub async fn insert(c: &mut impl AsConn, secret_id: Uuid, key: &str, value: &str, now: Timestamp) -> DbResult<bool> {
    let sql = "INSERT INTO secret_user_metadata (secret_id, key, value, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $4) ON CONFLICT (secret_id, key) DO NOTHING";
    let done = on_conn!(c, c => sqlx::query(sql).bind(secret_id).bind(key).bind(value).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Changes the value of an existing key. Returns whether the key existed.
pub async fn update(c: &mut impl AsConn, secret_id: Uuid, key: &str, value: &str, now: Timestamp) -> DbResult<bool> {
    let sql = "UPDATE secret_user_metadata SET value = $3, updated_at = $4 WHERE secret_id = $1 AND key = $2";
    let done = on_conn!(c, c => sqlx::query(sql).bind(secret_id).bind(key).bind(value).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Removes one key; removing a key the secret does not have is not an error.
pub async fn delete(c: &mut impl AsConn, secret_id: Uuid, key: &str) -> DbResult<()> {
    let sql = "DELETE FROM secret_user_metadata WHERE secret_id = $1 AND key = $2";
    on_conn!(c, c => sqlx::query(sql).bind(secret_id).bind(key).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}
