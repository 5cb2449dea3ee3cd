//! `ProjectQuotasRepo`: per-project quota overrides, and [`reserve`], the one quota check every
//! create path runs inside its own write transaction.
//!
//! A quota is a number of live resources a project may hold: negative is unlimited, `0` forbids
//! creation, `n` allows `n`. A project's row overrides the configured defaults value by value
//! (a NULL value falls back to the default), as Barbican's `QuotaDriver` does.
//!
//! # Concurrency
//! [`reserve`] counts and the caller inserts in one transaction, and nothing else may insert the
//! same kind of resource for the same project in between:
//! - Postgres: the transaction first takes a transaction-scoped advisory lock keyed by
//!   (resource, project), released at commit or rollback. A second create of the same kind for
//!   the same project waits there, then counts (READ COMMITTED: a fresh snapshot per statement)
//!   the row the first one committed.
//! - SQLite: every write transaction already holds the process's writer gate and SQLite's write
//!   lock from its first statement (`BEGIN IMMEDIATE`, see [`crate::db::Db::begin`]), so the count
//!   and the insert cannot interleave with another writer, in this process or another.

use sqlx::AssertSqlSafe;

use crate::query::Page;
use crate::{AsConn, DbResult, Timestamp, Tx, on_conn};

/// What a quota limits. Both kinds of consumer share the `consumers` quota and, as in Barbican,
/// each is counted in its own table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Secrets,
    Orders,
    Containers,
    SecretConsumers,
    ContainerConsumers,
}

impl Resource {
    /// The quota's name (and the `project_quotas` column holding its override).
    pub fn quota_name(self) -> &'static str {
        match self {
            Resource::Secrets => "secrets",
            Resource::Orders => "orders",
            Resource::Containers => "containers",
            Resource::SecretConsumers | Resource::ContainerConsumers => "consumers",
        }
    }

    /// The first key of the advisory lock: one lock space per counted table.
    fn lock_class(self) -> i32 {
        // "QT" in the high half, so these keys stay clear of anything else's.
        0x5154_0000
            + match self {
                Resource::Secrets => 1,
                Resource::Orders => 2,
                Resource::Containers => 3,
                Resource::SecretConsumers => 4,
                Resource::ContainerConsumers => 5,
            }
    }
}

/// Effective quotas: one value per resource (the defaults, or a project's merged with them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Quotas {
    pub secrets: i64,
    pub orders: i64,
    pub containers: i64,
    pub consumers: i64,
    pub cas: i64,
}

impl Quotas {
    /// `-1` everywhere: Barbican's defaults.
    pub const UNLIMITED: Quotas = Quotas { secrets: -1, orders: -1, containers: -1, consumers: -1, cas: -1 };

    /// These defaults with a project's overrides applied.
    pub fn merged(self, project: Option<&QuotaValues>) -> Quotas {
        let Some(p) = project else { return self };
        let pick = |v: Option<i32>, d: i64| v.map_or(d, i64::from);
        Quotas {
            secrets: pick(p.secrets, self.secrets),
            orders: pick(p.orders, self.orders),
            containers: pick(p.containers, self.containers),
            consumers: pick(p.consumers, self.consumers),
            cas: pick(p.cas, self.cas),
        }
    }

    fn of(&self, resource: Resource) -> i64 {
        match resource.quota_name() {
            "secrets" => self.secrets,
            "orders" => self.orders,
            "containers" => self.containers,
            _ => self.consumers,
        }
    }
}

/// A project's configured values; `None` is "not set: use the default". Serialises with
/// nulls, as Barbican shows unset values.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct QuotaValues {
    pub secrets: Option<i32>,
    pub orders: Option<i32>,
    pub containers: Option<i32>,
    pub consumers: Option<i32>,
    pub cas: Option<i32>,
}

/// A `project_quotas` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProjectQuotas {
    pub project_id: String,
    #[sqlx(flatten)]
    pub values: QuotaValues,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "project_id, secrets, orders, containers, consumers, cas, created_at, updated_at";

/// The project's configured quotas, if any are set.
pub async fn find(c: &mut impl AsConn, project_id: &str) -> DbResult<Option<ProjectQuotas>> {
    let sql = format!("SELECT {COLUMNS} FROM project_quotas WHERE project_id = $1");
    on_conn!(c, c => sqlx::query_as::<_, ProjectQuotas>(AssertSqlSafe(sql.as_str())).bind(project_id).fetch_optional(c).await)
}

/// One page of the projects with quotas set, oldest first (Barbican's order), and their total.
pub async fn list(c: &mut impl AsConn, page: Page) -> DbResult<(Vec<ProjectQuotas>, i64)> {
    let sql =
        format!("SELECT {COLUMNS} FROM project_quotas ORDER BY created_at ASC, project_id ASC LIMIT $1 OFFSET $2");
    on_conn!(c, c => {
        let rows = sqlx::query_as::<_, ProjectQuotas>(AssertSqlSafe(sql.as_str()))
            .bind(page.limit).bind(page.offset).fetch_all(&mut *c).await?;
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM project_quotas").fetch_one(&mut *c).await?;
        Ok((rows, total))
    })
}

/// Sets a project's quotas as Barbican's `create_or_update_by_project_id` does: a new row takes
/// the given values (unset ones NULL); an existing row changes only the values given.
pub async fn upsert(c: &mut impl AsConn, project_id: &str, v: &QuotaValues, now: Timestamp) -> DbResult<()> {
    let sql = "INSERT INTO project_quotas (project_id, secrets, orders, containers, consumers, cas, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (project_id) DO UPDATE SET \
               secrets = COALESCE(excluded.secrets, project_quotas.secrets), \
               orders = COALESCE(excluded.orders, project_quotas.orders), \
               containers = COALESCE(excluded.containers, project_quotas.containers), \
               consumers = COALESCE(excluded.consumers, project_quotas.consumers), \
               cas = COALESCE(excluded.cas, project_quotas.cas), updated_at = excluded.updated_at";
    on_conn!(c, c => sqlx::query(sql).bind(project_id).bind(v.secrets).bind(v.orders).bind(v.containers)
        .bind(v.consumers).bind(v.cas).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Removes a project's quotas (it falls back to the defaults). Returns whether it had any.
pub async fn delete(c: &mut impl AsConn, project_id: &str) -> DbResult<bool> {
    let sql = "DELETE FROM project_quotas WHERE project_id = $1";
    let n = on_conn!(c, c => sqlx::query(sql).bind(project_id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// What [`reserve`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The create may go ahead in this transaction.
    Allowed,
    /// The project holds `count` of at most `quota` (0: creation disabled).
    Reached { quota: i64, count: i64 },
}

/// Checks, inside the create's transaction `tx` and before its insert, that the project may
/// create one more `resource` under `defaults` merged with its own quotas. On Postgres this
/// takes the (resource, project) advisory lock, held until `tx` ends (see the module docs).
#[tracing::instrument(level = "debug", name = "quotas.reserve", skip_all)]
pub async fn reserve(tx: &mut Tx, project_id: &str, resource: Resource, defaults: &Quotas) -> DbResult<Reservation> {
    // The column name comes from the fixed list in Resource::quota_name.
    let column = resource.quota_name();
    let sql = format!("SELECT {column} FROM project_quotas WHERE project_id = $1");
    let set: Option<Option<i32>> =
        on_conn!(tx, c => sqlx::query_scalar(AssertSqlSafe(sql.as_str())).bind(project_id).fetch_optional(c).await)?;
    let quota = set.flatten().map_or_else(|| defaults.of(resource), i64::from);
    if quota < 0 {
        return Ok(Reservation::Allowed);
    }
    if quota == 0 {
        return Ok(Reservation::Reached { quota, count: 0 });
    }
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind(resource.lock_class())
            .bind(project_id)
            .execute(&mut **t)
            .await?;
    }
    let count = count(tx, project_id, resource).await?;
    Ok(if count >= quota { Reservation::Reached { quota, count } } else { Reservation::Allowed })
}

/// How many live `resource`s the project holds, as Barbican counts them: secrets not deleted and
/// not expired; orders, containers and consumers not deleted.
pub async fn count(c: &mut impl AsConn, project_id: &str, resource: Resource) -> DbResult<i64> {
    let sql = match resource {
        Resource::Secrets => {
            let sql = "SELECT count(*) FROM secrets WHERE project_id = $1 AND NOT deleted \
                       AND (expiration IS NULL OR expiration > $2)";
            return on_conn!(c, c => sqlx::query_scalar(sql).bind(project_id).bind(Timestamp::now()).fetch_one(c).await);
        }
        Resource::Orders => "SELECT count(*) FROM orders WHERE project_id = $1 AND NOT deleted",
        Resource::Containers => "SELECT count(*) FROM containers WHERE project_id = $1 AND NOT deleted",
        Resource::SecretConsumers => "SELECT count(*) FROM secret_consumers WHERE project_id = $1 AND NOT deleted",
        Resource::ContainerConsumers => {
            "SELECT count(*) FROM container_consumers WHERE project_id = $1 AND NOT deleted"
        }
    };
    on_conn!(c, c => sqlx::query_scalar(sql).bind(project_id).fetch_one(c).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_values_override_defaults_one_by_one() {
        let defaults = Quotas { secrets: 5, ..Quotas::UNLIMITED };
        let set = QuotaValues { orders: Some(2), ..QuotaValues::default() };
        let q = defaults.merged(Some(&set));
        assert_eq!((q.secrets, q.orders, q.containers), (5, 2, -1));
        assert_eq!(q.of(Resource::ContainerConsumers), -1);
        assert_eq!(defaults.merged(None), defaults);
    }
}
