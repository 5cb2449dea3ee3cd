//! The engine's own statements on apalis's jobs table (`Jobs` on SQLite, `apalis.jobs` on
//! Postgres). apalis only fetches and locks rows for us; every later transition is ours, done
//! here, so that it is synchronous with the handler and durable (see `worker.rs`).
//!
//! Every transition of a delivery is guarded by `lock_by = <this worker>`: a row that the orphan
//! rescue has handed to another worker meanwhile is left alone. `cancel_keyed` only touches rows
//! that no worker runs.

use std::time::Duration;

use portcullis_store::db::{AsConn, ConnRef, Db};

/// A row this worker now runs.
pub(crate) struct Claimed {
    /// 1-based number of this delivery.
    pub attempt: u32,
    pub max_attempts: u32,
}

/// Terminal states; both are pruned by retention.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Final {
    Done,
    Killed,
}

impl Final {
    fn as_str(self) -> &'static str {
        match self {
            Final::Done => "Done",
            Final::Killed => "Killed",
        }
    }
}

/// apalis's `last_result` format, so its tooling reads our rows.
pub(crate) fn result_json(error: Option<&str>) -> String {
    match error {
        None => serde_json::json!({ "Ok": null }).to_string(),
        Some(e) => serde_json::json!({ "Err": e }).to_string(),
    }
}

/// Marks a fetched row Running and reads its attempt counters. `None`: not ours (any more).
pub(crate) async fn claim(db: &Db, id: &str, worker: &str) -> Result<Option<Claimed>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let row: Option<(i64, i64)> = match tx.conn() {
        ConnRef::Sqlite(c) => {
            sqlx::query_as(
                "UPDATE Jobs SET status = 'Running', lock_at = strftime('%s', 'now') \
                 WHERE id = $1 AND lock_by = $2 RETURNING attempts, max_attempts",
            )
            .bind(id)
            .bind(worker)
            .fetch_optional(c)
            .await?
        }
        ConnRef::Postgres(c) => {
            sqlx::query_as(
                "UPDATE apalis.jobs SET status = 'Running', lock_at = now() \
                 WHERE id = $1 AND lock_by = $2 RETURNING attempts::int8, max_attempts::int8",
            )
            .bind(id)
            .bind(worker)
            .fetch_optional(c)
            .await?
        }
    };
    tx.commit().await?;
    Ok(row.map(|(attempts, max)| Claimed {
        attempt: u32::try_from(attempts.saturating_add(1)).unwrap_or(u32::MAX),
        max_attempts: u32::try_from(max).unwrap_or(1).max(1),
    }))
}

/// Ends a delivery for good. Returns whether the row was still ours.
pub(crate) async fn finish(
    conn: &mut impl AsConn,
    id: &str,
    worker: &str,
    state: Final,
    attempt: u32,
    error: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let result = result_json(error);
    let n = match conn.conn() {
        ConnRef::Sqlite(c) => sqlx::query(
            "UPDATE Jobs SET status = $3, attempts = $4, last_result = $5, done_at = strftime('%s', 'now') \
             WHERE id = $1 AND lock_by = $2",
        )
        .bind(id)
        .bind(worker)
        .bind(state.as_str())
        .bind(i64::from(attempt))
        .bind(&result)
        .execute(c)
        .await?
        .rows_affected(),
        ConnRef::Postgres(c) => sqlx::query(
            "UPDATE apalis.jobs SET status = $3, attempts = $4, last_result = $5::jsonb, done_at = now() \
             WHERE id = $1 AND lock_by = $2",
        )
        .bind(id)
        .bind(worker)
        .bind(state.as_str())
        .bind(i32::try_from(attempt).unwrap_or(i32::MAX))
        .bind(&result)
        .execute(c)
        .await?
        .rows_affected(),
    };
    Ok(n == 1)
}

/// Puts the row back to Pending, unlocked, not before `delay` from the database's clock (so the
/// comparison in apalis's fetch uses the same clock). Returns whether the row was still ours.
pub(crate) async fn reschedule(
    db: &Db,
    id: &str,
    worker: &str,
    attempt: u32,
    delay: Duration,
    error: &str,
) -> Result<bool, sqlx::Error> {
    let result = result_json(Some(error));
    let mut tx = db.begin().await?;
    let n = match tx.conn() {
        ConnRef::Sqlite(c) => {
            // SQLite's run_at is whole seconds: round up so the delay is never shortened.
            let secs = i64::try_from(delay.as_millis().div_ceil(1000)).unwrap_or(i64::MAX);
            sqlx::query(
                "UPDATE Jobs SET status = 'Pending', attempts = $3, last_result = $4, \
                 run_at = strftime('%s', 'now') + $5, lock_by = NULL, lock_at = NULL, done_at = NULL \
                 WHERE id = $1 AND lock_by = $2",
            )
            .bind(id)
            .bind(worker)
            .bind(i64::from(attempt))
            .bind(&result)
            .bind(secs)
            .execute(c)
            .await?
            .rows_affected()
        }
        ConnRef::Postgres(c) => sqlx::query(
            "UPDATE apalis.jobs SET status = 'Pending', attempts = $3, last_result = $4::jsonb, \
             run_at = now() + make_interval(secs => $5), lock_by = NULL, lock_at = NULL, done_at = NULL \
             WHERE id = $1 AND lock_by = $2",
        )
        .bind(id)
        .bind(worker)
        .bind(i32::try_from(attempt).unwrap_or(i32::MAX))
        .bind(&result)
        .bind(delay.as_secs_f64())
        .execute(c)
        .await?
        .rows_affected(),
    };
    tx.commit().await?;
    Ok(n == 1)
}

/// Kills the jobs, of any queue, whose idempotency key is `key` or starts with `key:` and that
/// no worker runs yet: Pending (including scheduled retries; apalis's retryable Failed too) or
/// fetched but not yet claimed (whose claim then fails, as the lock is cleared). Running jobs are
/// left alone. Returns how many were killed.
pub(crate) async fn cancel_keyed(conn: &mut impl AsConn, key: &str, error: &str) -> Result<u64, sqlx::Error> {
    // One range scan on the key (`portcullis_jobs_idempotency_key`, see `setup`), bytewise: [key, key;) is `key` and
    // everything starting `key` then a byte below ';'; the last test keeps `key` and `key:...`.
    let (exact, prefix, upper) = (key.to_owned(), format!("{key}:"), format!("{key};"));
    let result = result_json(Some(error));
    let n = match conn.conn() {
        ConnRef::Sqlite(c) => sqlx::query(
            "UPDATE Jobs SET status = 'Killed', last_result = $4, done_at = strftime('%s', 'now'), \
             lock_by = NULL, lock_at = NULL \
             WHERE idempotency_key >= $1 AND idempotency_key < $3 \
             AND (idempotency_key = $1 OR idempotency_key >= $2) \
             AND status IN ('Pending', 'Queued', 'Failed')",
        )
        .bind(&exact)
        .bind(&prefix)
        .bind(&upper)
        .bind(&result)
        .execute(c)
        .await?
        .rows_affected(),
        ConnRef::Postgres(c) => sqlx::query(
            "UPDATE apalis.jobs SET status = 'Killed', last_result = $4::jsonb, done_at = now(), \
             lock_by = NULL, lock_at = NULL \
             WHERE idempotency_key COLLATE \"C\" >= $1 AND idempotency_key COLLATE \"C\" < $3 \
             AND (idempotency_key COLLATE \"C\" = $1 OR idempotency_key COLLATE \"C\" >= $2) \
             AND status IN ('Pending', 'Queued', 'Failed')",
        )
        .bind(&exact)
        .bind(&prefix)
        .bind(&upper)
        .bind(&result)
        .execute(c)
        .await?
        .rows_affected(),
    };
    Ok(n)
}

/// Marks `worker` alive now (apalis's heartbeat, for a worker that apalis no longer drives).
pub(crate) async fn keep_alive(db: &Db, worker: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    match tx.conn() {
        ConnRef::Sqlite(c) => {
            sqlx::query("UPDATE Workers SET last_seen = strftime('%s', 'now') WHERE id = $1")
                .bind(worker)
                .execute(c)
                .await?;
        }
        ConnRef::Postgres(c) => {
            sqlx::query("UPDATE apalis.workers SET last_seen = now() WHERE id = $1").bind(worker).execute(c).await?;
        }
    }
    tx.commit().await
}

/// Puts the rows `worker` fetched but never claimed back to Pending, unlocked, without counting
/// an attempt. Returns how many.
pub(crate) async fn release_unstarted(db: &Db, worker: &str) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let n = match tx.conn() {
        ConnRef::Sqlite(c) => sqlx::query(
            "UPDATE Jobs SET status = 'Pending', lock_by = NULL, lock_at = NULL \
             WHERE lock_by = $1 AND status = 'Queued'",
        )
        .bind(worker)
        .execute(c)
        .await?
        .rows_affected(),
        ConnRef::Postgres(c) => sqlx::query(
            "UPDATE apalis.jobs SET status = 'Pending', lock_by = NULL, lock_at = NULL \
             WHERE lock_by = $1 AND status = 'Queued'",
        )
        .bind(worker)
        .execute(c)
        .await?
        .rows_affected(),
    };
    tx.commit().await?;
    Ok(n)
}

/// Deletes Done and Killed jobs finished more than `older_than` ago. Returns how many.
pub(crate) async fn prune(db: &Db, older_than: Duration) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let n = match tx.conn() {
        ConnRef::Sqlite(c) => sqlx::query(
            "DELETE FROM Jobs WHERE status IN ('Done', 'Killed') AND done_at IS NOT NULL \
             AND done_at < strftime('%s', 'now') - $1",
        )
        .bind(i64::try_from(older_than.as_secs()).unwrap_or(i64::MAX))
        .execute(c)
        .await?
        .rows_affected(),
        ConnRef::Postgres(c) => sqlx::query(
            "DELETE FROM apalis.jobs WHERE status IN ('Done', 'Killed') AND done_at IS NOT NULL \
             AND done_at < now() - make_interval(secs => $1)",
        )
        .bind(older_than.as_secs_f64())
        .execute(c)
        .await?
        .rows_affected(),
    };
    tx.commit().await?;
    Ok(n)
}
