//! `CertificateRequestRepo`: the state a certificate order's chained jobs share.
//!
//! A certificate order runs as steps (`step`): `key` (generate or resolve the key pair) → `csr`
//! (build the signing request) → `submit` (send it to the CA) → `wait` (the CA holds it for an
//! admin) → `store` (keep the certificate, make the container) → `done`. Each step's job moves
//! `step` on with [`advance`], guarded on the step it expects, in the same transaction as the
//! step's writes and the enqueue of the next job: a step delivered twice finds the guard false,
//! rolls back and creates nothing.

use sqlx::AssertSqlSafe;
use uuid::Uuid;

use crate::query::Page;
use crate::{AsConn, DbResult, Timestamp, on_conn};

/// The steps, in order.
pub mod step {
    pub const KEY: &str = "key";
    pub const CSR: &str = "csr";
    pub const SUBMIT: &str = "submit";
    pub const WAIT: &str = "wait";
    pub const STORE: &str = "store";
    pub const DONE: &str = "done";
}

/// What the CA said (`ca_status`).
pub mod ca_status {
    /// Waiting for an admin's decision.
    pub const HELD: &str = "HELD";
    pub const APPROVED: &str = "APPROVED";
    pub const REJECTED: &str = "REJECTED";
    pub const ISSUED: &str = "ISSUED";
}

/// The key pair a `custom` certificate request generates, read from the order's `meta` (which the
/// API has validated): `key_type`, `rsa` when absent, null or empty; `bit_length`, when absent or
/// null 2048 for `rsa` and 256 for the others. The API's check and the worker's `key` step both
/// read it here, so the key checked is the key generated.
pub fn custom_key(meta: &serde_json::Map<String, serde_json::Value>) -> (String, u32) {
    let key_type = meta.get("key_type").and_then(|t| t.as_str()).filter(|t| !t.is_empty()).unwrap_or("rsa");
    // A whole float (`2048.0`) is an integer to JSON Schema, and so to the API's check.
    let bit_length = meta
        .get("bit_length")
        .and_then(|b| b.as_u64().or_else(|| b.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64)))
        .and_then(|b| u32::try_from(b).ok());
    let default_bits = if key_type == "rsa" { 2048 } else { 256 };
    (key_type.to_owned(), bit_length.unwrap_or(default_bits))
}

/// A certificate order's request row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CertificateRequest {
    pub order_id: Uuid,
    pub project_id: String,
    pub ca_id: Uuid,
    /// `custom`, `stored-key` or `simple-cmc`.
    pub request_type: String,
    pub profile: Option<String>,
    pub subject_dn: Option<String>,
    pub step: String,
    /// The rsa container holding the key pair (none for `simple-cmc`).
    pub key_container_id: Option<Uuid>,
    /// The PKCS#10 request, PEM.
    pub csr: Option<String>,
    pub ca_status: Option<String>,
    /// The admin's reason for a rejection.
    pub ca_reason: Option<String>,
    /// How many times the `wait` step has asked the CA.
    pub checks: i32,
    pub certificate: Option<String>,
    pub intermediates: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "order_id, project_id, ca_id, request_type, profile, subject_dn, step, key_container_id, csr, \
                       ca_status, ca_reason, checks, certificate, intermediates, created_at, updated_at";

#[tracing::instrument(level = "debug", name = "certificate_requests.insert", skip_all)]
pub async fn insert(c: &mut impl AsConn, r: &CertificateRequest) -> DbResult<()> {
    let sql = "INSERT INTO certificate_requests (order_id, project_id, ca_id, request_type, profile, subject_dn, step, \
               key_container_id, csr, ca_status, ca_reason, checks, certificate, intermediates, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";
    on_conn!(c, c => sqlx::query(sql).bind(r.order_id).bind(&r.project_id).bind(r.ca_id).bind(&r.request_type)
        .bind(&r.profile).bind(&r.subject_dn).bind(&r.step).bind(r.key_container_id).bind(&r.csr).bind(&r.ca_status)
        .bind(&r.ca_reason).bind(r.checks).bind(&r.certificate).bind(&r.intermediates).bind(r.created_at)
        .bind(r.updated_at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[tracing::instrument(level = "debug", name = "certificate_requests.find", skip_all)]
pub async fn find(c: &mut impl AsConn, order_id: Uuid) -> DbResult<Option<CertificateRequest>> {
    let sql = format!("SELECT {COLUMNS} FROM certificate_requests WHERE order_id = $1");
    on_conn!(c, c => sqlx::query_as::<_, CertificateRequest>(AssertSqlSafe(sql.as_str())).bind(order_id).fetch_optional(c).await)
}

/// What a step records as it moves the request on; `None` leaves a column as it is.
#[derive(Debug, Default, Clone)]
pub struct StepResult {
    pub key_container_id: Option<Uuid>,
    pub csr: Option<String>,
    pub ca_status: Option<&'static str>,
    pub certificate: Option<String>,
    pub intermediates: Option<String>,
}

/// Moves the request from step `from` to `to` with `result`. `false`: the request is not at
/// `from` (another delivery did this step): the caller rolls back.
#[tracing::instrument(level = "debug", name = "certificate_requests.advance", skip_all)]
pub async fn advance(
    c: &mut impl AsConn,
    order_id: Uuid,
    from: &str,
    to: &str,
    result: &StepResult,
    now: Timestamp,
) -> DbResult<bool> {
    let sql = "UPDATE certificate_requests SET step = $3, key_container_id = COALESCE($4, key_container_id), \
               csr = COALESCE($5, csr), ca_status = COALESCE($6, ca_status), \
               certificate = COALESCE($7, certificate), intermediates = COALESCE($8, intermediates), updated_at = $9 \
               WHERE order_id = $1 AND step = $2";
    let n = on_conn!(c, c => sqlx::query(sql).bind(order_id).bind(from).bind(to).bind(result.key_container_id)
        .bind(&result.csr).bind(result.ca_status).bind(&result.certificate).bind(&result.intermediates).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records check number `n` of a waiting request (guarded on `n - 1` checks so far).
#[tracing::instrument(level = "debug", name = "certificate_requests.count_check", skip_all)]
pub async fn count_check(c: &mut impl AsConn, order_id: Uuid, n: i32, now: Timestamp) -> DbResult<bool> {
    let sql = "UPDATE certificate_requests SET checks = $2, updated_at = $3 \
               WHERE order_id = $1 AND step = 'wait' AND checks = $2 - 1";
    let done = on_conn!(c, c => sqlx::query(sql).bind(order_id).bind(n).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// An admin's decision on a HELD request: APPROVED or REJECTED (with a reason). `false`: the
/// request is not held (decided already, or never held).
#[tracing::instrument(level = "debug", name = "certificate_requests.decide", skip_all)]
pub async fn decide(
    c: &mut impl AsConn,
    order_id: Uuid,
    status: &'static str,
    reason: Option<&str>,
    now: Timestamp,
) -> DbResult<bool> {
    let sql = "UPDATE certificate_requests SET ca_status = $2, ca_reason = $3, updated_at = $4 \
               WHERE order_id = $1 AND ca_status = 'HELD'";
    let n = on_conn!(c, c => sqlx::query(sql).bind(order_id).bind(status).bind(reason).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// One page of the requests in `ca_status` whose order is live, oldest first, and their count.
pub async fn list_by_ca_status(
    c: &mut impl AsConn,
    status: &str,
    page: Page,
) -> DbResult<(Vec<CertificateRequest>, i64)> {
    let cols: String = COLUMNS.split(", ").map(|col| format!("r.{col}")).collect::<Vec<_>>().join(", ");
    let select = format!(
        "SELECT {cols} FROM certificate_requests r JOIN orders o ON o.id = r.order_id \
         WHERE r.ca_status = $1 AND NOT o.deleted ORDER BY r.created_at ASC, r.order_id ASC LIMIT $2 OFFSET $3"
    );
    let count = "SELECT count(*) FROM certificate_requests r JOIN orders o ON o.id = r.order_id \
                 WHERE r.ca_status = $1 AND NOT o.deleted";
    on_conn!(c, c => {
        let rows = sqlx::query_as::<_, CertificateRequest>(AssertSqlSafe(select.as_str()))
            .bind(status).bind(page.limit).bind(page.offset).fetch_all(&mut *c).await?;
        let total: i64 = sqlx::query_scalar(count).bind(status).fetch_one(&mut *c).await?;
        Ok((rows, total))
    })
}
