//! `OrderRepo`: order rows and the transitions their worker makes.
//!
//! An order is inserted PENDING and leaves that state once, to ACTIVE or ERROR. Both transitions
//! are guarded on `status = 'PENDING' AND NOT deleted`, so a job delivered twice, or a job whose
//! order was deleted meanwhile, changes nothing: callers roll back whatever else they wrote when
//! the guard reports `false`.

use sqlx::AssertSqlSafe;
use uuid::Uuid;

use crate::query::Page;
use crate::{AsConn, DbResult, Timestamp, on_conn};

pub const PENDING: &str = "PENDING";
pub const ACTIVE: &str = "ACTIVE";
pub const ERROR: &str = "ERROR";

/// What Barbican shows as `sub_status` / `sub_status_message` once an order has been processed.
pub const SUB_STATUS_UNKNOWN: &str = "Unknown";

/// An order's row, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Order {
    pub id: Uuid,
    pub project_id: String,
    /// `key`, `asymmetric` or `certificate` (the `type` column).
    #[sqlx(rename = "type")]
    pub kind: String,
    pub status: String,
    /// The order meta as JSON text (never holding a passphrase).
    pub meta: String,
    pub sub_status: Option<String>,
    pub sub_status_message: Option<String>,
    pub secret_id: Option<Uuid>,
    pub container_id: Option<Uuid>,
    /// The sealed passphrase of an asymmetric order, stored as a secret of the project.
    pub passphrase_secret_id: Option<Uuid>,
    pub error_status_code: Option<String>,
    pub error_reason: Option<String>,
    pub creator_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "id, project_id, type, status, meta, sub_status, sub_status_message, secret_id, container_id, \
                       passphrase_secret_id, error_status_code, error_reason, creator_id, created_at, updated_at";

/// Inserts a new order row (any status: an order refused outright is inserted as ERROR).
pub async fn insert(c: &mut impl AsConn, o: &Order) -> DbResult<()> {
    let sql = "INSERT INTO orders (id, project_id, type, status, meta, sub_status, sub_status_message, secret_id, \
               container_id, passphrase_secret_id, error_status_code, error_reason, creator_id, created_at, \
               updated_at, deleted) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, FALSE)";
    on_conn!(c, c => sqlx::query(sql)
        .bind(o.id).bind(&o.project_id).bind(&o.kind).bind(&o.status).bind(&o.meta).bind(&o.sub_status)
        .bind(&o.sub_status_message).bind(o.secret_id).bind(o.container_id).bind(o.passphrase_secret_id)
        .bind(&o.error_status_code).bind(&o.error_reason).bind(&o.creator_id).bind(o.created_at).bind(o.updated_at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A live (not deleted) order of `project_id`.
pub async fn find(c: &mut impl AsConn, project_id: &str, id: Uuid) -> DbResult<Option<Order>> {
    let sql = format!("SELECT {COLUMNS} FROM orders WHERE id = $1 AND project_id = $2 AND NOT deleted");
    on_conn!(c, c => sqlx::query_as::<_, Order>(AssertSqlSafe(sql.as_str())).bind(id).bind(project_id).fetch_optional(c).await)
}

/// One page of a project's live orders, oldest first, and their total count.
pub async fn list(c: &mut impl AsConn, project_id: &str, page: Page) -> DbResult<(Vec<Order>, i64)> {
    let select = format!(
        "SELECT {COLUMNS} FROM orders WHERE project_id = $1 AND NOT deleted \
         ORDER BY created_at ASC, id ASC LIMIT $2 OFFSET $3"
    );
    let count = "SELECT count(*) FROM orders WHERE project_id = $1 AND NOT deleted";
    on_conn!(c, c => {
        let rows = sqlx::query_as::<_, Order>(AssertSqlSafe(select.as_str()))
            .bind(project_id).bind(page.limit).bind(page.offset).fetch_all(&mut *c).await?;
        let total: i64 = sqlx::query_scalar(count).bind(project_id).fetch_one(&mut *c).await?;
        Ok((rows, total))
    })
}

/// Soft-deletes a live order. Returns whether a row was deleted. A PENDING order's job then finds
/// its guard false and creates nothing.
pub async fn soft_delete(c: &mut impl AsConn, project_id: &str, id: Uuid, now: Timestamp) -> DbResult<bool> {
    let sql = "UPDATE orders SET deleted = TRUE, deleted_at = $3, updated_at = $3 \
               WHERE id = $1 AND project_id = $2 AND NOT deleted";
    let n = on_conn!(c, c => sqlx::query(sql).bind(id).bind(project_id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// PENDING → ACTIVE with what was generated. Call it first in the worker's transaction: on
/// Postgres it takes the row lock, so a concurrent second delivery waits and then sees `false`.
pub async fn mark_active(
    c: &mut impl AsConn,
    id: Uuid,
    secret_id: Option<Uuid>,
    container_id: Option<Uuid>,
    now: Timestamp,
) -> DbResult<bool> {
    let sql = "UPDATE orders SET status = 'ACTIVE', secret_id = $2, container_id = $3, sub_status = $4, \
               sub_status_message = $4, updated_at = $5 WHERE id = $1 AND status = 'PENDING' AND NOT deleted";
    let n = on_conn!(c, c => sqlx::query(sql).bind(id).bind(secret_id).bind(container_id).bind(SUB_STATUS_UNKNOWN)
        .bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// PENDING → ERROR with Barbican's `error_status_code` (a string) and `error_reason`.
pub async fn mark_error(c: &mut impl AsConn, id: Uuid, code: &str, reason: &str, now: Timestamp) -> DbResult<bool> {
    let sql = "UPDATE orders SET status = 'ERROR', error_status_code = $2, error_reason = $3, updated_at = $4 \
               WHERE id = $1 AND status = 'PENDING' AND NOT deleted";
    let n = on_conn!(c, c => sqlx::query(sql).bind(id).bind(code).bind(reason).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
