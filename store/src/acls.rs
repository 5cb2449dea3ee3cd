//! `AclRepo`: the access control lists of secrets and containers (`secret_acls`,
//! `container_acls` and their users), Barbican's `SecretACLRepo` / `ContainerACLRepo`.
//!
//! Callers load (and authorize) the resource first; these functions trust its id. ACL rows are
//! hard-deleted, as in Barbican. Each write also bumps the resource's `updated_at`, as Barbican's
//! `create_or_replace_from` does.

use sqlx::AssertSqlSafe;
use uuid::Uuid;

use crate::{AsConn, DbResult, Timestamp, on_conn};

/// The only ACL operation Barbican's schema admits.
pub const READ: &str = "read";

/// Which kind of resource an ACL belongs to. Table and column names come only from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclEntity {
    Secret,
    Container,
}

impl AclEntity {
    fn acls(self) -> &'static str {
        match self {
            Self::Secret => "secret_acls",
            Self::Container => "container_acls",
        }
    }

    fn users(self) -> &'static str {
        match self {
            Self::Secret => "secret_acl_users",
            Self::Container => "container_acl_users",
        }
    }

    fn id_column(self) -> &'static str {
        match self {
            Self::Secret => "secret_id",
            Self::Container => "container_id",
        }
    }

    fn resources(self) -> &'static str {
        match self {
            Self::Secret => "secrets",
            Self::Container => "containers",
        }
    }
}

/// One operation's ACL, with its users (ordered by id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    pub operation: String,
    pub project_access: bool,
    pub users: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct AclRow {
    operation: String,
    project_access: bool,
    created_at: Timestamp,
    updated_at: Timestamp,
}

/// Every ACL of a resource, by operation.
#[tracing::instrument(level = "debug", name = "acls.all", skip_all)]
pub async fn all(c: &mut impl AsConn, entity: AclEntity, id: Uuid) -> DbResult<Vec<Acl>> {
    let (acls, users, col) = (entity.acls(), entity.users(), entity.id_column());
    let sql = format!(
        "SELECT operation, project_access, created_at, updated_at FROM {acls} WHERE {col} = $1 ORDER BY operation"
    );
    let rows = on_conn!(c, c => sqlx::query_as::<_, AclRow>(AssertSqlSafe(sql.as_str())).bind(id).fetch_all(c).await)?;
    let sql = format!("SELECT operation, user_id FROM {users} WHERE {col} = $1 ORDER BY user_id");
    let members: Vec<(String, String)> =
        on_conn!(c, c => sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(id).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| Acl {
            users: members.iter().filter(|(op, _)| *op == r.operation).map(|(_, u)| u.clone()).collect(),
            operation: r.operation,
            project_access: r.project_access,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

/// The `read` ACL of a resource, if it has one.
pub async fn read_acl(c: &mut impl AsConn, entity: AclEntity, id: Uuid) -> DbResult<Option<Acl>> {
    Ok(all(c, entity, id).await?.into_iter().find(|a| a.operation == READ))
}

/// Creates or updates one operation's ACL. A new ACL gets `project_access` (default true); an
/// existing one changes it only if given. `users`, if given, becomes the whole user list (users
/// kept keep their rows); `None` leaves the list alone (PATCH without `users`).
#[tracing::instrument(level = "debug", name = "acls.upsert", skip_all)]
pub async fn upsert(
    c: &mut impl AsConn,
    entity: AclEntity,
    id: Uuid,
    operation: &str,
    project_access: Option<bool>,
    users: Option<&[String]>,
    now: Timestamp,
) -> DbResult<()> {
    let (acls, table, col) = (entity.acls(), entity.users(), entity.id_column());
    let sql = format!(
        "INSERT INTO {acls} ({col}, operation, project_access, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT ({col}, operation) DO UPDATE SET \
         project_access = COALESCE($5, {acls}.project_access), updated_at = $4"
    );
    on_conn!(c, c => sqlx::query(AssertSqlSafe(sql.as_str()))
        .bind(id).bind(operation).bind(project_access.unwrap_or(true)).bind(now).bind(project_access)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if let Some(users) = users {
        let sql = format!("SELECT user_id FROM {table} WHERE {col} = $1 AND operation = $2");
        let existing: Vec<String> = on_conn!(c, c => sqlx::query_scalar(AssertSqlSafe(sql.as_str())).bind(id).bind(operation).fetch_all(c).await)?;
        let delete = format!("DELETE FROM {table} WHERE {col} = $1 AND operation = $2 AND user_id = $3");
        for gone in existing.iter().filter(|u| !users.contains(u)) {
            on_conn!(c, c => sqlx::query(AssertSqlSafe(delete.as_str())).bind(id).bind(operation).bind(gone)
                .execute(c).await.map(|r| r.rows_affected()))?;
        }
        let insert = format!(
            "INSERT INTO {table} ({col}, operation, user_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING"
        );
        for user in users.iter().filter(|u| !existing.contains(u)) {
            on_conn!(c, c => sqlx::query(AssertSqlSafe(insert.as_str())).bind(id).bind(operation).bind(user).bind(now)
                .execute(c).await.map(|r| r.rows_affected()))?;
        }
    }
    touch(c, entity, id, now).await
}

/// Deletes every ACL of a resource except those of `keep` (PUT replaces the whole set); returns
/// how many went. Their users go with them (`ON DELETE CASCADE`, and explicitly for SQLite
/// connections without foreign keys enforced).
#[tracing::instrument(level = "debug", name = "acls.delete_except", skip_all)]
pub async fn delete_except(
    c: &mut impl AsConn,
    entity: AclEntity,
    id: Uuid,
    keep: &[&str],
    now: Timestamp,
) -> DbResult<u64> {
    let (acls, users, col) = (entity.acls(), entity.users(), entity.id_column());
    let mut gone = 0;
    for acl in all(c, entity, id).await? {
        if keep.contains(&acl.operation.as_str()) {
            continue;
        }
        for table in [users, acls] {
            let sql = format!("DELETE FROM {table} WHERE {col} = $1 AND operation = $2");
            on_conn!(c, c => sqlx::query(AssertSqlSafe(sql.as_str())).bind(id).bind(&acl.operation)
                .execute(c).await.map(|r| r.rows_affected()))?;
        }
        gone += 1;
    }
    if gone > 0 {
        touch(c, entity, id, now).await?;
    }
    Ok(gone)
}

/// Deletes every ACL of a resource (its deletion, or `DELETE .../acl`).
pub async fn delete_all(c: &mut impl AsConn, entity: AclEntity, id: Uuid, now: Timestamp) -> DbResult<u64> {
    delete_except(c, entity, id, &[], now).await
}

/// Bumps the resource's `updated_at`.
async fn touch(c: &mut impl AsConn, entity: AclEntity, id: Uuid, now: Timestamp) -> DbResult<()> {
    let sql = format!("UPDATE {} SET updated_at = $2 WHERE id = $1", entity.resources());
    on_conn!(c, c => sqlx::query(AssertSqlSafe(sql.as_str())).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}
