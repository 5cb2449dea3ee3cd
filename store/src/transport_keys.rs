//! `TransportKeyRepo`: transport keys an operator registered (Barbican's `transport_keys`). They
//! are public keys and belong to no project; a deleted key stays with `deleted = true`.

use uuid::Uuid;

use crate::query::Page;
use crate::{AsConn, DbResult, Timestamp, on_conn};

/// A transport key, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TransportKey {
    pub id: Uuid,
    pub plugin_name: String,
    /// The PEM text as given.
    pub transport_key: String,
    pub status: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "id, plugin_name, transport_key, status, created_at, updated_at";

#[tracing::instrument(level = "debug", name = "transport_keys.insert", skip_all)]
pub async fn insert(c: &mut impl AsConn, k: &TransportKey) -> DbResult<()> {
    let sql = "INSERT INTO transport_keys (id, plugin_name, transport_key, status, created_at, updated_at, deleted) \
               VALUES ($1, $2, $3, $4, $5, $6, FALSE)";
    on_conn!(c, c => sqlx::query(sql).bind(k.id).bind(&k.plugin_name).bind(&k.transport_key).bind(&k.status)
        .bind(k.created_at).bind(k.updated_at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A live transport key.
#[tracing::instrument(level = "debug", name = "transport_keys.find", skip_all)]
pub async fn find(c: &mut impl AsConn, id: Uuid) -> DbResult<Option<TransportKey>> {
    let sql = format!("SELECT {COLUMNS} FROM transport_keys WHERE id = $1 AND NOT deleted");
    on_conn!(c, c => sqlx::query_as::<_, TransportKey>(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(c).await)
}

/// One page of live transport keys, oldest first, optionally of one plugin; and the total count.
#[tracing::instrument(level = "debug", name = "transport_keys.list", skip_all)]
pub async fn list(c: &mut impl AsConn, plugin_name: Option<&str>, page: Page) -> DbResult<(Vec<TransportKey>, i64)> {
    let filter = "NOT deleted AND ($1::text IS NULL OR plugin_name = $1)";
    // SQLite has no `::text` cast; its untyped NULL comparison needs none.
    let (select, count) = match c.conn() {
        crate::db::ConnRef::Postgres(_) => (
            format!("SELECT {COLUMNS} FROM transport_keys WHERE {filter} ORDER BY created_at, id LIMIT $2 OFFSET $3"),
            format!("SELECT count(*) FROM transport_keys WHERE {filter}"),
        ),
        crate::db::ConnRef::Sqlite(_) => {
            let filter = filter.replace("$1::text", "$1");
            (
                format!(
                    "SELECT {COLUMNS} FROM transport_keys WHERE {filter} ORDER BY created_at, id LIMIT $2 OFFSET $3"
                ),
                format!("SELECT count(*) FROM transport_keys WHERE {filter}"),
            )
        }
    };
    on_conn!(c, c => {
        let rows = sqlx::query_as::<_, TransportKey>(sqlx::AssertSqlSafe(select.as_str()))
            .bind(plugin_name).bind(page.limit).bind(page.offset).fetch_all(&mut *c).await?;
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count.as_str()))
            .bind(plugin_name).fetch_one(&mut *c).await?;
        Ok((rows, total))
    })
}

/// Soft-deletes a live transport key; returns whether one was deleted.
#[tracing::instrument(level = "debug", name = "transport_keys.soft_delete", skip_all)]
pub async fn soft_delete(c: &mut impl AsConn, id: Uuid, now: Timestamp) -> DbResult<bool> {
    let sql = "UPDATE transport_keys SET deleted = TRUE, deleted_at = $2, updated_at = $2 \
               WHERE id = $1 AND NOT deleted";
    let n = on_conn!(c, c => sqlx::query(sql).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
