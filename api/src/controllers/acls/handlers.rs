//! The ACL routes: `GET`, `PUT`, `PATCH` and `DELETE` on `/v1/secrets/{id}/acl` and
//! `/v1/containers/{id}/acl`, each a thin wrapper over one shared handler per verb.

use axum::Json;
use axum::extract::{Request, State};
use portcullis_store::Timestamp;
use portcullis_store::acls::{self, READ};
use serde_json::{Value, json};

use super::docs::{Acl, AclChange, AclRef, Null};
use super::validate::{self, SCHEMA};
use super::{Kind, Verb, load, view};
use crate::body::parse_object;
use crate::context::{Caller, Hrefs};
use crate::controllers::path::IdPath;
use crate::error::ApiResult;
use crate::openapi::ErrorBody;
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

/// Show a secret's ACL
///
/// Who may read the secret beyond the policy's project roles.
#[utoipa::path(
    get,
    path = "/v1/secrets/{id}/acl",
    tag = "acls",
    operation_id = "secret_acl_get",
    params(("id" = uuid::Uuid, Path, description = "The secret's id.")),
    responses(
        (status = 200, description = "The ACL; without one set, the default.", body = Acl,
            examples(
                ("set" = (summary = "An ACL that is set", value = json!({"read": {"project-access": false,
                    "users": ["2b8f9b1e8a4b4e0c9b1f3f0a7c1d2e3f"], "created": "2026-11-24T14:58:07.512406",
                    "updated": "2026-11-24T14:58:07.568580"}}))),
                ("default" = (summary = "No ACL set", value = json!({"read": {"project-access": true}}))),
            )),
        (status = 404, description = "No such secret in the caller's reach.", body = ErrorBody),
    )
)]
pub async fn secret_get(
    State(app): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath<String>,
) -> ApiResult<Json<Value>> {
    show(app, caller, Kind::Secret, &id).await
}

/// Replace a secret's ACL
///
/// The body is the whole ACL: a missing `project-access` is true, missing `users` none.
#[utoipa::path(
    put,
    path = "/v1/secrets/{id}/acl",
    tag = "acls",
    operation_id = "secret_acl_replace",
    params(("id" = uuid::Uuid, Path, description = "The secret's id.")),
    request_body(content = AclChange, content_type = "application/json"),
    responses(
        (status = 200, description = "Set.", body = AclRef),
        (status = 400, description = "The body breaks the `ACL` schema.", body = ErrorBody),
        (status = 404, description = "No such secret in the caller's reach.", body = ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = ErrorBody),
    )
)]
pub async fn secret_put(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
    req: Request,
) -> ApiResult<Json<Value>> {
    write(app, caller, hrefs, Kind::Secret, &id, req, Mode::Replace).await
}

/// Change a secret's ACL
///
/// Only the fields the body gives change.
#[utoipa::path(
    patch,
    path = "/v1/secrets/{id}/acl",
    tag = "acls",
    operation_id = "secret_acl_update",
    params(("id" = uuid::Uuid, Path, description = "The secret's id.")),
    request_body(content = AclChange, content_type = "application/json"),
    responses(
        (status = 200, description = "Set.", body = AclRef),
        (status = 400, description = "The body breaks the `ACL` schema.", body = ErrorBody),
        (status = 404, description = "No such secret in the caller's reach.", body = ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = ErrorBody),
    )
)]
pub async fn secret_patch(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
    req: Request,
) -> ApiResult<Json<Value>> {
    write(app, caller, hrefs, Kind::Secret, &id, req, Mode::Merge).await
}

/// Reset a secret's ACL
///
/// Back to the default: the project's usual access, no extra users.
#[utoipa::path(
    delete,
    path = "/v1/secrets/{id}/acl",
    tag = "acls",
    operation_id = "secret_acl_delete",
    params(("id" = uuid::Uuid, Path, description = "The secret's id.")),
    responses(
        (status = 200, description = "Reset; the body is JSON `null`, as Barbican's.", body = Null),
        (status = 404, description = "No such secret in the caller's reach.", body = ErrorBody),
    )
)]
pub async fn secret_delete(
    State(app): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath<String>,
) -> ApiResult<Json<Value>> {
    remove(app, caller, Kind::Secret, &id).await
}

/// Show a container's ACL
///
/// Who may read the container beyond the policy's project roles.
#[utoipa::path(
    get,
    path = "/v1/containers/{id}/acl",
    tag = "acls",
    operation_id = "container_acl_get",
    params(("id" = uuid::Uuid, Path, description = "The container's id.")),
    responses(
        (status = 200, description = "The ACL; without one set, the default.", body = Acl,
            examples(
                ("set" = (summary = "An ACL that is set", value = json!({"read": {"project-access": false,
                    "users": ["2b8f9b1e8a4b4e0c9b1f3f0a7c1d2e3f"], "created": "2026-11-24T14:58:07.512406",
                    "updated": "2026-11-24T14:58:07.568580"}}))),
                ("default" = (summary = "No ACL set", value = json!({"read": {"project-access": true}}))),
            )),
        (status = 404, description = "No such container in the caller's reach.", body = ErrorBody),
    )
)]
pub async fn container_get(
    State(app): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath<String>,
) -> ApiResult<Json<Value>> {
    show(app, caller, Kind::Container, &id).await
}

/// Replace a container's ACL
///
/// The body is the whole ACL: a missing `project-access` is true, missing `users` none.
#[utoipa::path(
    put,
    path = "/v1/containers/{id}/acl",
    tag = "acls",
    operation_id = "container_acl_replace",
    params(("id" = uuid::Uuid, Path, description = "The container's id.")),
    request_body(content = AclChange, content_type = "application/json"),
    responses(
        (status = 200, description = "Set.", body = AclRef),
        (status = 400, description = "The body breaks the `ACL` schema.", body = ErrorBody),
        (status = 404, description = "No such container in the caller's reach.", body = ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = ErrorBody),
    )
)]
pub async fn container_put(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
    req: Request,
) -> ApiResult<Json<Value>> {
    write(app, caller, hrefs, Kind::Container, &id, req, Mode::Replace).await
}

/// Change a container's ACL
///
/// Only the fields the body gives change.
#[utoipa::path(
    patch,
    path = "/v1/containers/{id}/acl",
    tag = "acls",
    operation_id = "container_acl_update",
    params(("id" = uuid::Uuid, Path, description = "The container's id.")),
    request_body(content = AclChange, content_type = "application/json"),
    responses(
        (status = 200, description = "Set.", body = AclRef),
        (status = 400, description = "The body breaks the `ACL` schema.", body = ErrorBody),
        (status = 404, description = "No such container in the caller's reach.", body = ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = ErrorBody),
    )
)]
pub async fn container_patch(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
    req: Request,
) -> ApiResult<Json<Value>> {
    write(app, caller, hrefs, Kind::Container, &id, req, Mode::Merge).await
}

/// Reset a container's ACL
///
/// Back to the default: the project's usual access, no extra users.
#[utoipa::path(
    delete,
    path = "/v1/containers/{id}/acl",
    tag = "acls",
    operation_id = "container_acl_delete",
    params(("id" = uuid::Uuid, Path, description = "The container's id.")),
    responses(
        (status = 200, description = "Reset; the body is JSON `null`, as Barbican's.", body = Null),
        (status = 404, description = "No such container in the caller's reach.", body = ErrorBody),
    )
)]
pub async fn container_delete(
    State(app): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath<String>,
) -> ApiResult<Json<Value>> {
    remove(app, caller, Kind::Container, &id).await
}
