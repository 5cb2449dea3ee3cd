//! `SecretRepo`: secret rows and their encrypted payloads.
//!
//! Expired secrets are invisible, as in Barbican: every read filters on `expiration`.

use sqlx::AssertSqlSafe;
use uuid::Uuid;

use crate::query::{Bind, Cmp, Dir, Page, Where};
use crate::{AsConn, DbResult, Timestamp, bind_all, on_conn};

/// A secret's metadata, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Secret {
    pub id: Uuid,
    pub project_id: String,
    pub name: Option<String>,
    pub secret_type: String,
    pub algorithm: Option<String>,
    pub bit_length: Option<i32>,
    pub mode: Option<String>,
    pub expiration: Option<Timestamp>,
    pub creator_id: Option<String>,
    pub status: String,
    /// The payload's content type; `None` until a payload is stored.
    pub content_type: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An encrypted payload row, with the store whose KEK sealed it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SealedPayload {
    pub secret_id: Uuid,
    pub kek_id: Uuid,
    pub store_name: String,
    pub ciphertext: Vec<u8>,
}

/// Columns a secret list may be sorted by (Barbican's sort keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Created,
    Updated,
    Expiration,
    Name,
    Algorithm,
    BitLength,
    Mode,
    SecretType,
    Status,
}

impl SortKey {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "created" => Self::Created,
            "updated" => Self::Updated,
            "expiration" => Self::Expiration,
            "name" => Self::Name,
            "algorithm" => Self::Algorithm,
            "bit_length" => Self::BitLength,
            "mode" => Self::Mode,
            "secret_type" => Self::SecretType,
            "status" => Self::Status,
            _ => return None,
        })
    }

    fn column(self) -> &'static str {
        match self {
            Self::Created => "created_at",
            Self::Updated => "updated_at",
            Self::Expiration => "expiration",
            Self::Name => "name",
            Self::Algorithm => "algorithm",
            Self::BitLength => "bit_length",
            Self::Mode => "mode",
            Self::SecretType => "secret_type",
            Self::Status => "status",
        }
    }
}

/// Filters of `GET /v1/secrets`.
#[derive(Debug, Clone, Default)]
pub struct SecretFilter {
    pub name: Option<String>,
    pub algorithm: Option<String>,
    pub mode: Option<String>,
    pub bit_length: Option<i64>,
    pub secret_type: Option<String>,
    pub created: Vec<(Cmp, Timestamp)>,
    pub updated: Vec<(Cmp, Timestamp)>,
    pub expiration: Vec<(Cmp, Timestamp)>,
    pub sort: Vec<(SortKey, Dir)>,
    /// `acl_only=true`: the secrets whose read ACL lists this user, in any project, instead of
    /// the project's secrets.
    pub acl_user: Option<String>,
}

const COLUMNS: &str = "id, project_id, name, secret_type, algorithm, bit_length, mode, expiration, creator_id, \
                       status, content_type, created_at, updated_at";

/// Inserts a new secret row.
#[tracing::instrument(level = "debug", name = "secrets.insert", skip_all)]
pub async fn insert(c: &mut impl AsConn, s: &Secret) -> DbResult<()> {
    let sql = "INSERT INTO secrets (id, project_id, name, secret_type, algorithm, bit_length, mode, expiration, \
               creator_id, status, content_type, created_at, updated_at, deleted) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, FALSE)";
    on_conn!(c, c => sqlx::query(sql)
        .bind(s.id).bind(&s.project_id).bind(&s.name).bind(&s.secret_type).bind(&s.algorithm)
        .bind(s.bit_length).bind(&s.mode).bind(s.expiration).bind(&s.creator_id).bind(&s.status)
        .bind(&s.content_type).bind(s.created_at).bind(s.updated_at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A live (not deleted, not expired) secret of `project_id`.
#[tracing::instrument(level = "debug", name = "secrets.find", skip_all)]
pub async fn find(c: &mut impl AsConn, project_id: &str, id: Uuid, now: Timestamp) -> DbResult<Option<Secret>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM secrets WHERE id = $1 AND project_id = $2 AND NOT deleted \
         AND (expiration IS NULL OR expiration > $3)"
    );
    on_conn!(c, c => sqlx::query_as::<_, Secret>(AssertSqlSafe(sql.as_str())).bind(id).bind(project_id).bind(now).fetch_optional(c).await)
}

/// A live secret, whatever its project (the policy decides who may see it).
#[tracing::instrument(level = "debug", name = "secrets.find_any_project", skip_all)]
pub async fn find_any_project(c: &mut impl AsConn, id: Uuid, now: Timestamp) -> DbResult<Option<Secret>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM secrets WHERE id = $1 AND NOT deleted AND (expiration IS NULL OR expiration > $2)"
    );
    on_conn!(c, c => sqlx::query_as::<_, Secret>(AssertSqlSafe(sql.as_str())).bind(id).bind(now).fetch_optional(c).await)
}

/// One page of a project's live secrets matching `filter`, and the total count of matches.
pub async fn list(
    c: &mut impl AsConn,
    project_id: &str,
    filter: &SecretFilter,
    page: Page,
    now: Timestamp,
) -> DbResult<(Vec<Secret>, i64)> {
    let mut w = Where::default();
    match &filter.acl_user {
        Some(user) => w.push(
            "id IN (SELECT secret_id FROM secret_acl_users WHERE operation = 'read' AND user_id = ?)",
            Bind::Text(user.clone()),
        ),
        None => w.push("project_id = ?", Bind::Text(project_id.to_owned())),
    };
    w.push_raw("NOT deleted").push("(expiration IS NULL OR expiration > ?)", Bind::Ts(now));
    // Barbican matches name, algorithm and mode with SQL LIKE (`%` and `_` are wildcards). A
    // backslash is always literal, and matching is case-sensitive on both backends (SQLite
    // connections run with `case_sensitive_like`).
    for (col, val) in [("name", &filter.name), ("algorithm", &filter.algorithm), ("mode", &filter.mode)] {
        if let Some(v) = val {
            w.push(&format!("{col} LIKE ? ESCAPE '\\'"), Bind::Text(v.replace('\\', "\\\\")));
        }
    }
    if let Some(v) = &filter.secret_type {
        w.push("secret_type = ?", Bind::Text(v.clone()));
    }
    if let Some(bits) = filter.bit_length {
        w.push("bit_length = ?", Bind::Int(bits));
    }
    for (col, conds) in
        [("created_at", &filter.created), ("updated_at", &filter.updated), ("expiration", &filter.expiration)]
    {
        for (cmp, ts) in conds {
            w.push(&format!("{col} {} ?", cmp.sql()), Bind::Ts(*ts));
        }
    }
    let n = w.next_placeholder();
    let postgres = matches!(c.conn(), crate::db::ConnRef::Postgres(_));
    let select = format!(
        "SELECT {COLUMNS} FROM secrets WHERE {} ORDER BY {} LIMIT ${n} OFFSET ${}",
        w.sql(),
        order_by(&filter.sort, postgres),
        n + 1
    );
    let count = format!("SELECT count(*) FROM secrets WHERE {}", w.sql());
    on_conn!(c, c => {
        let rows = bind_all!(sqlx::query_as::<_, Secret>(AssertSqlSafe(select.as_str())), w.binds)
            .bind(page.limit).bind(page.offset).fetch_all(&mut *c).await?;
        let total: i64 = bind_all!(sqlx::query_scalar(AssertSqlSafe(count.as_str())), w.binds).fetch_one(&mut *c).await?;
        Ok((rows, total))
    })
}

/// The ORDER BY of a secret list: the requested keys, then creation order. Both backends order
/// the same way: nulls first ascending and last descending (SQLite's and MySQL's way; Postgres
/// is told explicitly), text by bytes (Postgres's `"C"` collation; SQLite compares bytes).
fn order_by(sort: &[(SortKey, Dir)], postgres: bool) -> String {
    let mut order: Vec<String> = sort
        .iter()
        .map(|(k, d)| {
            let text =
                matches!(k, SortKey::Name | SortKey::Algorithm | SortKey::Mode | SortKey::SecretType | SortKey::Status);
            let collate = if postgres && text { " COLLATE \"C\"" } else { "" };
            let nulls = match d {
                Dir::Asc => "NULLS FIRST",
                Dir::Desc => "NULLS LAST",
            };
            format!("{}{collate} {} {nulls}", k.column(), d.sql())
        })
        .collect();
    order.push("created_at ASC".into());
    order.push("id ASC".into());
    order.join(", ")
}

/// Soft-deletes a live secret and erases its ciphertext. Returns whether a row was deleted.
#[tracing::instrument(level = "debug", name = "secrets.soft_delete", skip_all)]
pub async fn soft_delete(c: &mut impl AsConn, project_id: &str, id: Uuid, now: Timestamp) -> DbResult<bool> {
    let sql = "UPDATE secrets SET deleted = TRUE, deleted_at = $3, updated_at = $3 \
               WHERE id = $1 AND project_id = $2 AND NOT deleted";
    let done = on_conn!(c, c => sqlx::query(sql).bind(id).bind(project_id).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    if done == 0 {
        return Ok(false);
    }
    on_conn!(c, c => sqlx::query("DELETE FROM secret_payloads WHERE secret_id = $1").bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(true)
}

/// Inserts the sealed payload of a secret that has none yet. Returns `false` (and changes
/// nothing) if the secret already has one: a payload is written once.
#[tracing::instrument(level = "debug", name = "secrets.insert_payload", skip_all)]
pub async fn insert_payload(
    c: &mut impl AsConn,
    secret_id: Uuid,
    kek_id: Uuid,
    ciphertext: &[u8],
    now: Timestamp,
) -> DbResult<bool> {
    let sql = "INSERT INTO secret_payloads (secret_id, kek_id, ciphertext, created_at) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (secret_id) DO NOTHING";
    let done = on_conn!(c, c => sqlx::query(sql).bind(secret_id).bind(kek_id).bind(ciphertext).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Records the content type of a payload stored after creation (two-step upload), if the
/// secret is live and has no payload yet; returns whether it did. Call it before
/// [`insert_payload`] in the same transaction: the row lock it takes orders it against a
/// concurrent upload or delete, so a deleted secret never gets a ciphertext and a secret never
/// gets two.
pub async fn claim_for_payload(
    c: &mut impl AsConn,
    secret_id: Uuid,
    content_type: &str,
    now: Timestamp,
) -> DbResult<bool> {
    let sql = "UPDATE secrets SET content_type = $2, updated_at = $3 \
               WHERE id = $1 AND NOT deleted AND content_type IS NULL";
    let n = on_conn!(c, c => sqlx::query(sql).bind(secret_id).bind(content_type).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records the content type of a payload stored after creation (two-step upload).
pub async fn set_content_type(
    c: &mut impl AsConn,
    secret_id: Uuid,
    content_type: &str,
    now: Timestamp,
) -> DbResult<()> {
    let sql = "UPDATE secrets SET content_type = $2, updated_at = $3 WHERE id = $1";
    on_conn!(c, c => sqlx::query(sql).bind(secret_id).bind(content_type).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The sealed payload of a secret, if it has one.
#[tracing::instrument(level = "debug", name = "secrets.find_payload", skip_all)]
pub async fn find_payload(c: &mut impl AsConn, secret_id: Uuid) -> DbResult<Option<SealedPayload>> {
    let sql = "SELECT p.secret_id, p.kek_id, k.store_name, p.ciphertext FROM secret_payloads p \
               JOIN project_keks k ON k.id = p.kek_id WHERE p.secret_id = $1";
    on_conn!(c, c => sqlx::query_as::<_, SealedPayload>(sql).bind(secret_id).fetch_optional(c).await)
}
