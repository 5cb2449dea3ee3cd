//! `AuditRepo`: the append-only audit trail (`audit_events`). Rows are only ever inserted; the
//! database refuses UPDATE and DELETE on the table (triggers in migration 0005).
//!
//! A row says who (project, user), what (action, method, route template), on what (target: the
//! request path, or the created resource's path), how it ended (status, outcome) and which
//! request it was. It never holds a payload, a body, a query string or a token.

use sqlx::AssertSqlSafe;

use crate::query::{Bind, Page, Where};
use crate::{AsConn, DbResult, Timestamp, bind_all, on_conn};

/// An event to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub created_at: Timestamp,
    pub request_id: Option<String>,
    pub project_id: Option<String>,
    pub user_id: Option<String>,
    /// A policy rule name (`secret:decrypt`) or `<METHOD> <route template>`.
    pub action: String,
    pub method: String,
    /// The route template (`/v1/secrets/{id}`), not the raw path.
    pub route: String,
    pub target: String,
    pub status: i32,
    /// `allowed`, `denied` (401/403) or `failed`.
    pub outcome: String,
}

/// A stored event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub id: i64,
    pub created_at: Timestamp,
    pub request_id: Option<String>,
    pub project_id: Option<String>,
    pub user_id: Option<String>,
    pub action: String,
    pub method: String,
    pub route: String,
    pub target: String,
    pub status: i32,
    pub outcome: String,
}

/// Filters of `GET /v1/audit-events`; every one set must match.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub project_id: Option<String>,
    pub user_id: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    /// A path: events on it or below it (`/v1/secrets/<id>` also matches its `/payload`).
    pub target: Option<String>,
    /// Inclusive lower bound.
    pub since: Option<Timestamp>,
    /// Exclusive upper bound.
    pub until: Option<Timestamp>,
}

const COLUMNS: &str = "id, created_at, request_id, project_id, user_id, action, method, route, target, status, outcome";

/// Appends one event.
pub async fn insert(c: &mut impl AsConn, e: &NewEvent) -> DbResult<()> {
    let sql = "INSERT INTO audit_events (created_at, request_id, project_id, user_id, action, method, route, target, \
               status, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    on_conn!(c, c => sqlx::query(sql).bind(e.created_at).bind(&e.request_id).bind(&e.project_id).bind(&e.user_id)
        .bind(&e.action).bind(&e.method).bind(&e.route).bind(&e.target).bind(e.status).bind(&e.outcome)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// One page of the matching events in the order they were recorded, and their total.
pub async fn list(c: &mut impl AsConn, f: &EventFilter, page: Page) -> DbResult<(Vec<Event>, i64)> {
    let mut w = Where::default();
    let text = |v: &String| Bind::Text(v.clone());
    if let Some(v) = &f.project_id {
        w.push("project_id = ?", text(v));
    }
    if let Some(v) = &f.user_id {
        w.push("user_id = ?", text(v));
    }
    if let Some(v) = &f.action {
        w.push("action = ?", text(v));
    }
    if let Some(v) = &f.outcome {
        w.push("outcome = ?", text(v));
    }
    if let Some(v) = &f.target {
        // The path itself, or anything under it (one bound value, no LIKE escaping to get wrong).
        let path = v.trim_end_matches('/').to_owned();
        w.push("(target = ? OR substr(target, 1, length(?) + 1) = ? || '/')", Bind::Text(path));
    }
    if let Some(t) = f.since {
        w.push("created_at >= ?", Bind::Ts(t));
    }
    if let Some(t) = f.until {
        w.push("created_at < ?", Bind::Ts(t));
    }
    let cond = w.sql();
    let n = w.next_placeholder();
    let select =
        format!("SELECT {COLUMNS} FROM audit_events WHERE {cond} ORDER BY id ASC LIMIT ${n} OFFSET ${}", n + 1);
    let count = format!("SELECT count(*) FROM audit_events WHERE {cond}");
    on_conn!(c, c => {
        let rows = bind_all!(sqlx::query_as::<_, Event>(AssertSqlSafe(select.as_str())), w.binds)
            .bind(page.limit).bind(page.offset).fetch_all(&mut *c).await?;
        let total: i64 = bind_all!(sqlx::query_scalar(AssertSqlSafe(count.as_str())), w.binds).fetch_one(&mut *c).await?;
        Ok((rows, total))
    })
}
