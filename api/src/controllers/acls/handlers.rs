//! The ACL routes: `GET`, `PUT`, `PATCH` and `DELETE` on `/v1/secrets/{id}/acl` and
//! `/v1/containers/{id}/acl`, each a thin wrapper over one shared handler per verb.

use axum::Json;
use axum::extract::{Path, Request, State};
use portcullis_store::Timestamp;
use portcullis_store::acls::{self, READ};
use serde_json::{Value, json};

use super::validate::{self, SCHEMA};
use super::{Kind, Verb, load, view};
use crate::body::parse_object;
use crate::context::{Caller, Hrefs};
use crate::controllers::path::SecretPath;
use crate::error::ApiResult;
use crate::state::AppState;

/// How a write treats the fields a body leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `PUT`: the body is the whole ACL (missing `project-access` is true, missing `users` none).
    Replace,
    /// `PATCH`: only the given fields change.
    Merge,
}

async fn show(app: AppState, caller: Caller, kind: Kind, raw_id: &str) -> ApiResult<Json<Value>> {
    let mut conn = app.db.acquire().await?;
    let id = load(&mut conn, &caller, kind, raw_id, Verb::Get).await?;
    Ok(Json(view(&mut conn, kind, id).await?))
}

async fn write(
    app: AppState,
    caller: Caller,
    hrefs: Hrefs,
    kind: Kind,
    raw_id: &str,
    req: Request,
    mode: Mode,
) -> ApiResult<Json<Value>> {
    // Resource and policy first, then the body: a refused caller learns nothing from it.
    load(&mut app.db.acquire().await?, &caller, kind, raw_id, Verb::Write).await?;
    let body = validate::acl_body(&parse_object(req, app.config.max_request_bytes, SCHEMA).await?)?;
    let now = Timestamp::now();
    let mut tx = app.db.begin().await?;
    // Again inside the transaction: the resource may have been deleted meanwhile.
    let id = load(&mut tx, &caller, kind, raw_id, Verb::Write).await?;
    match (body.read, mode) {
        (Some(read), Mode::Replace) => {
            let users = read.users.unwrap_or_default();
            let access = read.project_access.unwrap_or(true);
            acls::upsert(&mut tx, kind.entity(), id, READ, Some(access), Some(&users), now).await?;
            acls::delete_except(&mut tx, kind.entity(), id, &[READ], now).await?;
        }
        (Some(read), Mode::Merge) => {
            acls::upsert(&mut tx, kind.entity(), id, READ, read.project_access, read.users.as_deref(), now).await?;
        }
        (None, Mode::Replace) => {
            acls::delete_all(&mut tx, kind.entity(), id, now).await?;
        }
        (None, Mode::Merge) => {}
    }
    tx.commit().await?;
    tracing::info!(resource_id = %id, ?kind, ?mode, "ACL updated");
    Ok(Json(json!({"acl_ref": kind.acl_ref(&hrefs, &id)})))
}

async fn remove(app: AppState, caller: Caller, kind: Kind, raw_id: &str) -> ApiResult<Json<Value>> {
    let mut tx = app.db.begin().await?;
    let id = load(&mut tx, &caller, kind, raw_id, Verb::Delete).await?;
    acls::delete_all(&mut tx, kind.entity(), id, Timestamp::now()).await?;
    tx.commit().await?;
    tracing::info!(resource_id = %id, ?kind, "ACL reset to the default");
    Ok(Json(Value::Null))
}

#[utoipa::path(get, path = "/v1/secrets/{id}/acl", tag = "acls")]
pub async fn secret_get(
    State(app): State<AppState>,
    caller: Caller,
    SecretPath(id): SecretPath<String>,
) -> ApiResult<Json<Value>> {
    show(app, caller, Kind::Secret, &id).await
}

#[utoipa::path(put, path = "/v1/secrets/{id}/acl", tag = "acls")]
pub async fn secret_put(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    SecretPath(id): SecretPath<String>,
    req: Request,
) -> ApiResult<Json<Value>> {
    write(app, caller, hrefs, Kind::Secret, &id, req, Mode::Replace).await
}

#[utoipa::path(patch, path = "/v1/secrets/{id}/acl", tag = "acls")]
pub async fn secret_patch(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    SecretPath(id): SecretPath<String>,
    req: Request,
) -> ApiResult<Json<Value>> {
    write(app, caller, hrefs, Kind::Secret, &id, req, Mode::Merge).await
}

#[utoipa::path(delete, path = "/v1/secrets/{id}/acl", tag = "acls")]
pub async fn secret_delete(
    State(app): State<AppState>,
    caller: Caller,
    SecretPath(id): SecretPath<String>,
) -> ApiResult<Json<Value>> {
    remove(app, caller, Kind::Secret, &id).await
}

#[utoipa::path(get, path = "/v1/containers/{id}/acl", tag = "acls")]
pub async fn container_get(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    show(app, caller, Kind::Container, &id).await
}

#[utoipa::path(put, path = "/v1/containers/{id}/acl", tag = "acls")]
pub async fn container_put(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Path(id): Path<String>,
    req: Request,
) -> ApiResult<Json<Value>> {
    write(app, caller, hrefs, Kind::Container, &id, req, Mode::Replace).await
}

#[utoipa::path(patch, path = "/v1/containers/{id}/acl", tag = "acls")]
pub async fn container_patch(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Path(id): Path<String>,
    req: Request,
) -> ApiResult<Json<Value>> {
    write(app, caller, hrefs, Kind::Container, &id, req, Mode::Merge).await
}

#[utoipa::path(delete, path = "/v1/containers/{id}/acl", tag = "acls")]
pub async fn container_delete(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    remove(app, caller, Kind::Container, &id).await
}
