//! `OrderRepo`: order rows and the transitions their worker makes.
//!
//! An order is inserted PENDING and leaves that state once, to ACTIVE or ERROR. Both transitions
//! are guarded on `status = 'PENDING' AND NOT deleted`, so a job delivered twice, or a job whose
//! order was deleted meanwhile, changes nothing: callers roll back whatever else they wrote when
//! the guard reports `false`. An operator may [`reopen`] an ERROR order (ERROR → PENDING) to
//! retry its failed job.

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
#[tracing::instrument(level = "debug", name = "orders.insert", skip_all)]
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
#[tracing::instrument(level = "debug", name = "orders.find", skip_all)]
pub async fn find(c: &mut impl AsConn, project_id: &str, id: Uuid) -> DbResult<Option<Order>> {
    let sql = format!("SELECT {COLUMNS} FROM orders WHERE id = $1 AND project_id = $2 AND NOT deleted");
    on_conn!(c, c => sqlx::query_as::<_, Order>(AssertSqlSafe(sql.as_str())).bind(id).bind(project_id).fetch_optional(c).await)
}

/// One page of a project's live orders, oldest first, and their total count.
#[tracing::instrument(level = "debug", name = "orders.list", skip_all)]
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
#[tracing::instrument(level = "debug", name = "orders.soft_delete", skip_all)]
pub async fn soft_delete(c: &mut impl AsConn, project_id: &str, id: Uuid, now: Timestamp) -> DbResult<bool> {
    let sql = "UPDATE orders SET deleted = TRUE, deleted_at = $3, updated_at = $3 \
               WHERE id = $1 AND project_id = $2 AND NOT deleted";
    let n = on_conn!(c, c => sqlx::query(sql).bind(id).bind(project_id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// PENDING → ACTIVE with what was generated, and the final `sub_status` / `sub_status_message`
/// (`None`: Barbican's `Unknown`). Call it first in the worker's transaction: on Postgres it
/// takes the row lock, so a concurrent second delivery waits and then sees `false`.
#[tracing::instrument(level = "debug", name = "orders.mark_active", skip_all)]
pub async fn mark_active(
    c: &mut impl AsConn,
    id: Uuid,
    secret_id: Option<Uuid>,
    container_id: Option<Uuid>,
    sub_status: Option<(&str, &str)>,
    now: Timestamp,
) -> DbResult<bool> {
    let (sub, message) = sub_status.unwrap_or((SUB_STATUS_UNKNOWN, SUB_STATUS_UNKNOWN));
    let sql = "UPDATE orders SET status = 'ACTIVE', secret_id = $2, container_id = $3, sub_status = $4, \
               sub_status_message = $5, updated_at = $6 WHERE id = $1 AND status = 'PENDING' AND NOT deleted";
    let n = on_conn!(c, c => sqlx::query(sql).bind(id).bind(secret_id).bind(container_id).bind(sub).bind(message)
        .bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records where a PENDING order is (`sub_status`, `sub_status_message`). Returns whether the
/// order is still PENDING and live.
#[tracing::instrument(level = "debug", name = "orders.set_sub_status", skip_all)]
pub async fn set_sub_status(
    c: &mut impl AsConn,
    id: Uuid,
    sub_status: &str,
    message: &str,
    now: Timestamp,
) -> DbResult<bool> {
    let sql = "UPDATE orders SET sub_status = $2, sub_status_message = $3, updated_at = $4 \
               WHERE id = $1 AND status = 'PENDING' AND NOT deleted";
    let n = on_conn!(c, c => sqlx::query(sql).bind(id).bind(sub_status).bind(message).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A live order by id alone (workers and admin endpoints, which are not scoped to a project).
#[tracing::instrument(level = "debug", name = "orders.find_any_project", skip_all)]
pub async fn find_any_project(c: &mut impl AsConn, id: Uuid) -> DbResult<Option<Order>> {
    let sql = format!("SELECT {COLUMNS} FROM orders WHERE id = $1 AND NOT deleted");
    on_conn!(c, c => sqlx::query_as::<_, Order>(AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(c).await)
}

/// PENDING → ERROR with Barbican's `error_status_code` (a string) and `error_reason`.
#[tracing::instrument(level = "debug", name = "orders.mark_error", skip_all)]
pub async fn mark_error(c: &mut impl AsConn, id: Uuid, code: &str, reason: &str, now: Timestamp) -> DbResult<bool> {
    let sql = "UPDATE orders SET status = 'ERROR', error_status_code = $2, error_reason = $3, updated_at = $4 \
               WHERE id = $1 AND status = 'PENDING' AND NOT deleted";
    let n = on_conn!(c, c => sqlx::query(sql).bind(id).bind(code).bind(reason).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Live orders of every project counted by type and status (`portcullis_orders` in /metrics):
/// `(type, status, count)` rows. Not project scoped: it reveals no project or order.
pub async fn count_by_type_and_status(c: &mut impl AsConn) -> DbResult<Vec<(String, String, i64)>> {
    let sql = "SELECT type, status, COUNT(*) FROM orders WHERE NOT deleted GROUP BY type, status";
    on_conn!(c, c => sqlx::query_as(sql).fetch_all(c).await)
}

/// ERROR → PENDING with `error_status_code` and `error_reason` cleared: an operator retries the
/// order's failed job (`portcullis_jobs::admin::retry`), which then carries it on as usual.
#[tracing::instrument(level = "debug", name = "orders.reopen", skip_all)]
pub async fn reopen(c: &mut impl AsConn, id: Uuid, now: Timestamp) -> DbResult<bool> {
    let sql = "UPDATE orders SET status = 'PENDING', error_status_code = NULL, error_reason = NULL, updated_at = $2 \
               WHERE id = $1 AND status = 'ERROR' AND NOT deleted";
    let n = on_conn!(c, c => sqlx::query(sql).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
