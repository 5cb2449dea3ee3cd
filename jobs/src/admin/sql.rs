//! The operator verbs' statements on apalis's jobs table (`Jobs` on SQLite, `apalis.jobs` on
//! Postgres), one text per backend. Times come back as Unix seconds on both (SQLite stores them
//! so; Postgres keeps `timestamptz`), payloads as UTF-8 text (both store JSON bytes).
//!
//! Every transition is guarded on the states it may leave, so a worker that moved the row
//! meanwhile makes it a no-op (`false`) rather than a lost update.

use portcullis_store::db::{AsConn, ConnRef};
use uuid::Uuid;

use super::{JobFilter, Page};

/// A jobs row as the verbs read it.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct Row {
    pub id: String,
    pub job_type: String,
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: i64,
    pub lock_by: Option<String>,
    pub lock_at: Option<i64>,
    pub done_at: Option<i64>,
    pub last_result: Option<String>,
    pub idempotency_key: Option<String>,
    pub payload: String,
}

const SQLITE_COLUMNS: &str = "SELECT id, job_type, status, attempts, max_attempts, run_at, lock_by, lock_at, \
     done_at, last_result, idempotency_key, CAST(job AS TEXT) AS payload FROM Jobs";
const POSTGRES_COLUMNS: &str = "SELECT id, job_type, status, attempts::int8 AS attempts, \
     max_attempts::int8 AS max_attempts, EXTRACT(EPOCH FROM run_at)::int8 AS run_at, lock_by, \
     EXTRACT(EPOCH FROM lock_at)::int8 AS lock_at, EXTRACT(EPOCH FROM done_at)::int8 AS done_at, \
     last_result::text AS last_result, idempotency_key, convert_from(job, 'UTF8') AS payload FROM apalis.jobs";

/// Optional filters as `($n IS NULL OR ...)`, so one text serves every combination. An order's
/// jobs are keyed `<order id>` or `<order id>:<step>` (see `cancel_order_jobs`).
const SQLITE_WHERE: &str = " WHERE ($1 IS NULL OR job_type = $1) AND ($2 IS NULL OR status = $2) \
     AND ($3 IS NULL OR idempotency_key = $3 OR substr(idempotency_key, 1, 37) = $4)";
const POSTGRES_WHERE: &str = " WHERE ($1::text IS NULL OR job_type = $1) AND ($2::text IS NULL OR status = $2) \
     AND ($3::text IS NULL OR idempotency_key = $3 OR substr(idempotency_key, 1, 37) = $4)";
/// Newest first: ids are ULIDs, which sort by creation time.
const ORDER_PAGE: &str = " ORDER BY id DESC LIMIT $5 OFFSET $6";

pub(super) async fn list(c: &mut impl AsConn, f: &JobFilter, page: Page) -> Result<(Vec<Row>, i64), sqlx::Error> {
    let key = f.order_id.map(|id| id.to_string());
    let prefix = f.order_id.map(|id| format!("{id}:"));
    let (select, count) = match c.conn() {
        ConnRef::Sqlite(_) => {
            (format!("{SQLITE_COLUMNS}{SQLITE_WHERE}{ORDER_PAGE}"), format!("SELECT count(*) FROM Jobs{SQLITE_WHERE}"))
        }
        ConnRef::Postgres(_) => (
            format!("{POSTGRES_COLUMNS}{POSTGRES_WHERE}{ORDER_PAGE}"),
            format!("SELECT count(*) FROM apalis.jobs{POSTGRES_WHERE}"),
        ),
    };
    // The texts are constants above; only values are bound.
    let (select, count) = (sqlx::AssertSqlSafe(select), sqlx::AssertSqlSafe(count));
    portcullis_store::on_conn!(c, c => {
        let rows = sqlx::query_as::<_, Row>(select)
            .bind(&f.queue).bind(&f.status).bind(&key).bind(&prefix).bind(page.limit).bind(page.offset)
            .fetch_all(&mut *c).await?;
        let total: i64 = sqlx::query_scalar(count)
            .bind(&f.queue).bind(&f.status).bind(&key).bind(&prefix)
            .fetch_one(&mut *c).await?;
        Ok((rows, total))
    })
}

pub(super) async fn find(c: &mut impl AsConn, id: &str) -> Result<Option<Row>, sqlx::Error> {
    match c.conn() {
        ConnRef::Sqlite(c) => {
            let sql = sqlx::AssertSqlSafe(format!("{SQLITE_COLUMNS} WHERE id = $1"));
            sqlx::query_as(sql).bind(id).fetch_optional(c).await
        }
        ConnRef::Postgres(c) => {
            let sql = sqlx::AssertSqlSafe(format!("{POSTGRES_COLUMNS} WHERE id = $1"));
            sqlx::query_as(sql).bind(id).fetch_optional(c).await
        }
    }
}

/// Failed/Killed → Pending, due now, unlocked, attempts back to 0 (so it gets its full
/// `max_attempts` again). `last_result` is kept: it says why the job was retried.
pub(super) async fn retry(c: &mut impl AsConn, id: &str) -> Result<bool, sqlx::Error> {
    let n = match c.conn() {
        ConnRef::Sqlite(c) => sqlx::query(
            "UPDATE Jobs SET status = 'Pending', attempts = 0, run_at = strftime('%s', 'now'), \
             lock_by = NULL, lock_at = NULL, done_at = NULL WHERE id = $1 AND status IN ('Failed', 'Killed')",
        )
        .bind(id)
        .execute(c)
        .await?
        .rows_affected(),
        ConnRef::Postgres(c) => sqlx::query(
            "UPDATE apalis.jobs SET status = 'Pending', attempts = 0, run_at = now(), \
             lock_by = NULL, lock_at = NULL, done_at = NULL WHERE id = $1 AND status IN ('Failed', 'Killed')",
        )
        .bind(id)
        .execute(c)
        .await?
        .rows_affected(),
    };
    Ok(n == 1)
}

/// Pending/Queued (no worker runs it) → Killed with `result` (apalis's result JSON). Clearing
/// the lock makes a worker that fetched it but has not claimed it yet skip it.
pub(super) async fn cancel(c: &mut impl AsConn, id: &str, result: &str) -> Result<bool, sqlx::Error> {
    let n = match c.conn() {
        ConnRef::Sqlite(c) => sqlx::query(
            "UPDATE Jobs SET status = 'Killed', last_result = $2, done_at = strftime('%s', 'now'), \
             lock_by = NULL, lock_at = NULL WHERE id = $1 AND status IN ('Pending', 'Queued')",
        )
        .bind(id)
        .bind(result)
        .execute(c)
        .await?
        .rows_affected(),
        ConnRef::Postgres(c) => sqlx::query(
            "UPDATE apalis.jobs SET status = 'Killed', last_result = $2::jsonb, done_at = now(), \
             lock_by = NULL, lock_at = NULL WHERE id = $1 AND status IN ('Pending', 'Queued')",
        )
        .bind(id)
        .bind(result)
        .execute(c)
        .await?
        .rows_affected(),
    };
    Ok(n == 1)
}

/// Deletes a finished (Done/Killed) row.
pub(super) async fn discard(c: &mut impl AsConn, id: &str) -> Result<bool, sqlx::Error> {
    let n = match c.conn() {
        ConnRef::Sqlite(c) => sqlx::query("DELETE FROM Jobs WHERE id = $1 AND status IN ('Done', 'Killed')")
            .bind(id)
            .execute(c)
            .await?
            .rows_affected(),
        ConnRef::Postgres(c) => sqlx::query("DELETE FROM apalis.jobs WHERE id = $1 AND status IN ('Done', 'Killed')")
            .bind(id)
            .execute(c)
            .await?
            .rows_affected(),
    };
    Ok(n == 1)
}

/// The order a payload names (`order_id`, as every job of the `orders` and `certificate_steps`
/// queues carries).
pub(super) fn order_of(payload: &serde_json::Value) -> Option<Uuid> {
    payload.get("order_id")?.as_str().and_then(|s| Uuid::try_parse(s).ok())
}
