//! `ContainerRepo`: containers, the secrets they reference (`container_secrets`) and their
//! consumers (`container_consumers`).
//!
//! Containers and consumers are soft-deleted; secret links are hard-deleted (as Barbican does),
//! both when their container is deleted and when the secret they name is deleted
//! ([`remove_links_to_secret`]). Links are also read through a join that skips deleted secrets, so
//! a link to a deleted secret is never shown even if it survived.
//!
//! Writes that check before they change (adding a link, adding a consumer) first take the
//! container's row lock with [`lock_live`], so two concurrent requests on one container cannot
//! both pass the check.

use sqlx::AssertSqlSafe;
use uuid::Uuid;

use crate::query::{Bind, Page, Where};
use crate::{AsConn, DbResult, Timestamp, bind_all, on_conn};

/// A container's row, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Container {
    pub id: Uuid,
    pub project_id: String,
    pub name: Option<String>,
    /// `generic`, `rsa` or `certificate` (the `type` column).
    #[sqlx(rename = "type")]
    pub kind: String,
    pub status: String,
    pub creator_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One secret a container references, under an optional name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SecretLink {
    pub container_id: Uuid,
    pub secret_id: Uuid,
    pub name: Option<String>,
}

/// A service registered as using a container.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Consumer {
    pub id: Uuid,
    pub container_id: Uuid,
    pub project_id: String,
    pub name: String,
    pub url: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Filters of `GET /v1/containers`.
#[derive(Debug, Clone, Default)]
pub struct ContainerFilter {
    /// A SQL `LIKE` pattern (`%` and `_` are wildcards), matched case-sensitively.
    pub name: Option<String>,
    /// An exact type.
    pub kind: Option<String>,
}

/// How adding a consumer went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumerUpsert {
    /// A new consumer row.
    Created,
    /// A deleted consumer with the same values came back.
    Restored,
    /// The consumer was already registered: nothing changed.
    Unchanged,
}

const COLUMNS: &str = "id, project_id, name, type, status, creator_id, created_at, updated_at";
const CONSUMER_COLUMNS: &str = "id, container_id, project_id, name, url, created_at, updated_at";

/// Inserts a container and its secret links. Links get created_at one microsecond apart so they
/// read back in the order the client listed them (the table has no position column).
#[tracing::instrument(level = "debug", name = "containers.insert", skip_all)]
pub async fn insert(c: &mut impl AsConn, ct: &Container, links: &[(Uuid, Option<String>)]) -> DbResult<()> {
    let sql = "INSERT INTO containers (id, project_id, name, type, status, creator_id, created_at, updated_at, deleted) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE)";
    on_conn!(c, c => sqlx::query(sql)
        .bind(ct.id).bind(&ct.project_id).bind(&ct.name).bind(&ct.kind).bind(&ct.status).bind(&ct.creator_id)
        .bind(ct.created_at).bind(ct.updated_at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    for (i, (secret_id, name)) in links.iter().enumerate() {
        let at = Timestamp(ct.created_at.0 + chrono::Duration::microseconds(i as i64));
        insert_link(c, ct.id, *secret_id, name.as_deref(), at).await?;
    }
    Ok(())
}

async fn insert_link(
    c: &mut impl AsConn,
    container_id: Uuid,
    secret_id: Uuid,
    name: Option<&str>,
    at: Timestamp,
) -> DbResult<()> {
    let sql = "INSERT INTO container_secrets (container_id, secret_id, name, created_at) VALUES ($1, $2, $3, $4)";
    on_conn!(c, c => sqlx::query(sql).bind(container_id).bind(secret_id).bind(name).bind(at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A live container of `project_id`.
#[tracing::instrument(level = "debug", name = "containers.find", skip_all)]
pub async fn find(c: &mut impl AsConn, project_id: &str, id: Uuid) -> DbResult<Option<Container>> {
    let sql = format!("SELECT {COLUMNS} FROM containers WHERE id = $1 AND project_id = $2 AND NOT deleted");
    on_conn!(c, c => sqlx::query_as::<_, Container>(AssertSqlSafe(sql.as_str())).bind(id).bind(project_id).fetch_optional(c).await)
}

/// A live container, whatever its project (the policy decides who may see it).
#[tracing::instrument(level = "debug", name = "containers.find_any_project", skip_all)]
pub async fn find_any_project(c: &mut impl AsConn, id: Uuid) -> DbResult<Option<Container>> {
    let sql = format!("SELECT {COLUMNS} FROM containers WHERE id = $1 AND NOT deleted");
    on_conn!(c, c => sqlx::query_as::<_, Container>(AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(c).await)
}

/// Takes the row lock of a live container of `project_id` for the rest of the transaction (a
/// no-op UPDATE: Postgres locks the row, SQLite already holds the write lock). Returns whether
/// the container exists; a container deleted concurrently is seen as gone once the lock is had.
pub async fn lock_live(c: &mut impl AsConn, project_id: &str, id: Uuid) -> DbResult<bool> {
    let sql = "UPDATE containers SET status = status WHERE id = $1 AND project_id = $2 AND NOT deleted";
    let n = on_conn!(c, c => sqlx::query(sql).bind(id).bind(project_id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// One page of a project's live containers matching `filter`, oldest first, and the total count
/// of matches.
pub async fn list(
    c: &mut impl AsConn,
    project_id: &str,
    filter: &ContainerFilter,
    page: Page,
) -> DbResult<(Vec<Container>, i64)> {
    let mut w = Where::default();
    w.push("project_id = ?", Bind::Text(project_id.to_owned())).push_raw("NOT deleted");
    if let Some(name) = &filter.name {
        // As for secrets: a backslash is literal, and LIKE is case-sensitive on both backends.
        w.push("name LIKE ? ESCAPE '\\'", Bind::Text(name.replace('\\', "\\\\")));
    }
    if let Some(kind) = &filter.kind {
        w.push("type = ?", Bind::Text(kind.clone()));
    }
    let n = w.next_placeholder();
    let select = format!(
        "SELECT {COLUMNS} FROM containers WHERE {} ORDER BY created_at ASC, id ASC LIMIT ${n} OFFSET ${}",
        w.sql(),
        n + 1
    );
    let count = format!("SELECT count(*) FROM containers WHERE {}", w.sql());
    on_conn!(c, c => {
        let rows = bind_all!(sqlx::query_as::<_, Container>(AssertSqlSafe(select.as_str())), w.binds)
            .bind(page.limit).bind(page.offset).fetch_all(&mut *c).await?;
        let total: i64 = bind_all!(sqlx::query_scalar(AssertSqlSafe(count.as_str())), w.binds).fetch_one(&mut *c).await?;
        Ok((rows, total))
    })
}

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// The secret links of the given containers (to secrets not deleted), in the order they were
/// added.
#[tracing::instrument(level = "debug", name = "containers.secret_links", skip_all)]
pub async fn secret_links(c: &mut impl AsConn, container_ids: &[Uuid]) -> DbResult<Vec<SecretLink>> {
    if container_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT l.container_id, l.secret_id, l.name FROM container_secrets l JOIN secrets s ON s.id = l.secret_id \
         WHERE l.container_id IN ({}) AND NOT s.deleted ORDER BY l.created_at ASC, l.secret_id ASC",
        placeholders(1, container_ids.len())
    );
    on_conn!(c, c => {
        let mut q = sqlx::query_as::<_, SecretLink>(AssertSqlSafe(sql.as_str()));
        for id in container_ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// The live consumers of the given containers, oldest first.
pub async fn consumers_of(c: &mut impl AsConn, container_ids: &[Uuid]) -> DbResult<Vec<Consumer>> {
    if container_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {CONSUMER_COLUMNS} FROM container_consumers WHERE container_id IN ({}) AND NOT deleted \
         ORDER BY created_at ASC, id ASC",
        placeholders(1, container_ids.len())
    );
    on_conn!(c, c => {
        let mut q = sqlx::query_as::<_, Consumer>(AssertSqlSafe(sql.as_str()));
        for id in container_ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// Soft-deletes a live container of `project_id`, drops its secret links and soft-deletes its
/// consumers. Returns whether a container was deleted.
pub async fn soft_delete(c: &mut impl AsConn, project_id: &str, id: Uuid, now: Timestamp) -> DbResult<bool> {
    let sql = "UPDATE containers SET deleted = TRUE, deleted_at = $3, updated_at = $3 \
               WHERE id = $1 AND project_id = $2 AND NOT deleted";
    let done = on_conn!(c, c => sqlx::query(sql).bind(id).bind(project_id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    if done == 0 {
        return Ok(false);
    }
    on_conn!(c, c => sqlx::query("DELETE FROM container_secrets WHERE container_id = $1").bind(id)
        .execute(c).await.map(|r| r.rows_affected()))?;
    let sql = "UPDATE container_consumers SET deleted = TRUE, deleted_at = $2, updated_at = $2 \
               WHERE container_id = $1 AND NOT deleted";
    on_conn!(c, c => sqlx::query(sql).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(true)
}

/// Links `secret_id` to a container under `name`. Returns `false` (and changes nothing) if the
/// container already holds that secret under that same name. Call with the container locked.
pub async fn add_secret(
    c: &mut impl AsConn,
    container_id: Uuid,
    secret_id: Uuid,
    name: Option<&str>,
    now: Timestamp,
) -> DbResult<bool> {
    let sql = "SELECT count(*) FROM container_secrets WHERE container_id = $1 AND secret_id = $2 \
               AND (name = $3 OR (name IS NULL AND $3 IS NULL))";
    let existing: i64 =
        on_conn!(c, c => sqlx::query_scalar(sql).bind(container_id).bind(secret_id).bind(name).fetch_one(c).await)?;
    if existing > 0 {
        return Ok(false);
    }
    insert_link(c, container_id, secret_id, name, now).await?;
    Ok(true)
}

/// Unlinks `secret_id` held under `name` from a container. Returns whether a link was removed.
pub async fn remove_secret(
    c: &mut impl AsConn,
    container_id: Uuid,
    secret_id: Uuid,
    name: Option<&str>,
) -> DbResult<bool> {
    let sql = "DELETE FROM container_secrets WHERE container_id = $1 AND secret_id = $2 \
               AND (name = $3 OR (name IS NULL AND $3 IS NULL))";
    let n = on_conn!(c, c => sqlx::query(sql).bind(container_id).bind(secret_id).bind(name)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// Drops every container link to `secret_id`: the secret-delete cascade (Barbican removes a
/// deleted secret from the `secret_refs` of every container). Call in the deleting transaction.
pub async fn remove_links_to_secret(c: &mut impl AsConn, secret_id: Uuid) -> DbResult<u64> {
    on_conn!(c, c => sqlx::query("DELETE FROM container_secrets WHERE secret_id = $1").bind(secret_id)
        .execute(c).await.map(|r| r.rows_affected()))
}

/// Registers a consumer of a container, idempotently: an identical live consumer is kept as is,
/// an identical deleted one is restored, otherwise a new one is created. A new or restored
/// consumer marks the container updated. Call with the container locked.
pub async fn upsert_consumer(
    c: &mut impl AsConn,
    container_id: Uuid,
    project_id: &str,
    name: &str,
    url: &str,
    now: Timestamp,
) -> DbResult<ConsumerUpsert> {
    let sql = "SELECT id, deleted FROM container_consumers WHERE container_id = $1 AND name = $2 AND url = $3 \
               ORDER BY deleted ASC, updated_at DESC LIMIT 1";
    let existing: Option<(Uuid, bool)> =
        on_conn!(c, c => sqlx::query_as(sql).bind(container_id).bind(name).bind(url).fetch_optional(c).await)?;
    let outcome = match existing {
        Some((_, false)) => return Ok(ConsumerUpsert::Unchanged),
        Some((id, true)) => {
            let sql =
                "UPDATE container_consumers SET deleted = FALSE, deleted_at = NULL, updated_at = $2 WHERE id = $1";
            on_conn!(c, c => sqlx::query(sql).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
            ConsumerUpsert::Restored
        }
        None => {
            let sql = "INSERT INTO container_consumers (id, container_id, project_id, name, url, created_at, updated_at, deleted) \
                       VALUES ($1, $2, $3, $4, $5, $6, $6, FALSE)";
            on_conn!(c, c => sqlx::query(sql).bind(Uuid::new_v4()).bind(container_id).bind(project_id).bind(name).bind(url)
                .bind(now).execute(c).await.map(|r| r.rows_affected()))?;
            ConsumerUpsert::Created
        }
    };
    let sql = "UPDATE containers SET updated_at = $2 WHERE id = $1";
    on_conn!(c, c => sqlx::query(sql).bind(container_id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(outcome)
}

/// A live consumer of a container, by id.
pub async fn find_consumer(c: &mut impl AsConn, container_id: Uuid, id: Uuid) -> DbResult<Option<Consumer>> {
    let sql = format!(
        "SELECT {CONSUMER_COLUMNS} FROM container_consumers WHERE id = $1 AND container_id = $2 AND NOT deleted"
    );
    on_conn!(c, c => sqlx::query_as::<_, Consumer>(AssertSqlSafe(sql.as_str())).bind(id).bind(container_id).fetch_optional(c).await)
}

/// The live consumer of a container with these values (Barbican's `get_by_values`).
pub async fn find_consumer_by_values(
    c: &mut impl AsConn,
    container_id: Uuid,
    name: &str,
    url: &str,
) -> DbResult<Option<Consumer>> {
    let sql = format!(
        "SELECT {CONSUMER_COLUMNS} FROM container_consumers \
         WHERE container_id = $1 AND name = $2 AND url = $3 AND NOT deleted"
    );
    on_conn!(c, c => sqlx::query_as::<_, Consumer>(AssertSqlSafe(sql.as_str())).bind(container_id).bind(name).bind(url).fetch_optional(c).await)
}

/// One page of a container's live consumers ordered by name (Barbican's order), and their total.
pub async fn list_consumers(c: &mut impl AsConn, container_id: Uuid, page: Page) -> DbResult<(Vec<Consumer>, i64)> {
    let sql = format!(
        "SELECT {CONSUMER_COLUMNS} FROM container_consumers WHERE container_id = $1 AND NOT deleted \
         ORDER BY name ASC, created_at ASC, id ASC LIMIT $2 OFFSET $3"
    );
    let count = "SELECT count(*) FROM container_consumers WHERE container_id = $1 AND NOT deleted";
    on_conn!(c, c => {
        let rows = sqlx::query_as::<_, Consumer>(AssertSqlSafe(sql.as_str()))
            .bind(container_id).bind(page.limit).bind(page.offset).fetch_all(&mut *c).await?;
        let total: i64 = sqlx::query_scalar(count).bind(container_id).fetch_one(&mut *c).await?;
        Ok((rows, total))
    })
}

/// Soft-deletes the live consumer of a container with these values. Returns whether one was.
pub async fn soft_delete_consumer(
    c: &mut impl AsConn,
    container_id: Uuid,
    name: &str,
    url: &str,
    now: Timestamp,
) -> DbResult<bool> {
    let sql = "UPDATE container_consumers SET deleted = TRUE, deleted_at = $4, updated_at = $4 \
               WHERE container_id = $1 AND name = $2 AND url = $3 AND NOT deleted";
    let n = on_conn!(c, c => sqlx::query(sql).bind(container_id).bind(name).bind(url).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}
