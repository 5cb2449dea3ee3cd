//! `POST`/`DELETE /v1/containers/{id}/secrets`: link a secret of the caller's project to a
//! generic container, or unlink it. A secret may be linked several times under different names;
//! the pair (secret, name) is unique.
//!
//! Order of checks, as Barbican's: container (404), content type (415, POST only), container
//! type (400, POST only), body, secret (404), link (409 on POST, 404 on DELETE). Only POST is
//! limited to generic containers, as in Barbican.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_store::Timestamp;
use portcullis_store::containers;
use serde_json::json;

use super::docs::{ContainerRef, ContainerSecret};
use super::validate::{self, CONTAINER_SECRET};
use crate::body::media_type;
use crate::context::{Caller, Hrefs};
use crate::controllers::path::IdPath;
use crate::error::{ApiError, ApiResult};
use crate::policy::Action;
use crate::state::AppState;

/// Add a secret to a container.
///
/// Links a live secret of the caller's project to a `generic` container under a name. Checked
/// in Barbican's order: the container (404), the content type (415), the container's type
/// (400), the body (400), the secret (404), the link (409).
#[utoipa::path(
    post,
    path = "/v1/containers/{id}/secrets",
    tag = "containers",
    operation_id = "container_secret_add",
    params(("id" = String, Path, format = Uuid, description = "The container's id.")),
    request_body(
        content = ContainerSecret,
        content_type = "application/json",
        description = "The link. String values are stripped of surrounding whitespace before they are checked.",
    ),
    responses(
        (status = 201, description = "The secret is linked.", body = ContainerRef,
            headers(("Location" = String, description = "The container's URL, as `container_ref`.")),
            example = json!({
                "container_ref": "http://localhost:9311/v1/containers/23a967a6-ef7e-4122-80bc-9641f52110ba"
            })),
        (status = 400, description = "The container is not `generic` (`Only 'generic' containers can be modified.`), \
            or the body breaks the `ContainerSecret` schema.", body = crate::openapi::ErrorBody),
        (status = 404, description = "No container with this id that the caller may see (`Secrets container not \
            found.`, or `Not Found. Provided container id is invalid.` for an id that is not a lowercase UUID v4), \
            or `secret_ref` names no live secret of the caller's project (`Secret provided doesn't exist.`).",
            body = crate::openapi::ErrorBody),
        (status = 409, description = "The secret is already in the container under this name.",
            body = crate::openapi::ErrorBody),
        (status = 415, description = "The `Content-Type` is not `application/json`.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn add(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
    req: Request,
) -> ApiResult<Response> {
    let container = super::load(&mut app.db.acquire().await?, &caller, &id, Action::ContainerSecretPost).await?;
    if media_type(req.headers()).as_deref() != Some("application/json") {
        return Err(ApiError::UnsupportedMediaType(&["application/json"]));
    }
    if container.kind != "generic" {
        return Err(ApiError::BadRequest("Only 'generic' containers can be modified.".into()));
    }
    let body = super::read_body(req, app.config.max_request_bytes, CONTAINER_SECRET, true).await?;
    let link = validate::container_secret(&body)?;

    let now = Timestamp::now();
    let mut tx = app.db.begin().await?;
    let container = super::lock(&mut tx, &container.project_id, container.id).await?;
    let secret = super::referenced_secret(&mut tx, &caller, &link.secret_ref, now)
        .await?
        .ok_or_else(|| ApiError::NotFound("Secret provided doesn't exist.".into()))?;
    if !containers::add_secret(&mut tx, container.id, secret.id, link.name.as_deref(), now).await? {
        return Err(ApiError::Conflict(
            "Conflict. A secret with that name and ID is already stored in this container. \
             The same secret can exist in a container as long as the name is unique."
                .into(),
        ));
    }
    tx.commit().await?;
    tracing::info!(container_id = %container.id, secret_id = %secret.id, "secret added to container");

    let container_ref = hrefs.container(&container.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, container_ref.clone())],
        Json(json!({"container_ref": container_ref})),
    )
        .into_response())
}

/// Remove a secret from a container.
///
/// Unlinks the secret named by the body (with the same name, or none). Barbican reads this body
/// whatever its `Content-Type`, and so does this; any container type is accepted.
#[utoipa::path(
    delete,
    path = "/v1/containers/{id}/secrets",
    tag = "containers",
    operation_id = "container_secret_remove",
    params(("id" = String, Path, format = Uuid, description = "The container's id.")),
    request_body(
        content = ContainerSecret,
        content_type = "application/json",
        description = "The link to remove, as it was added (read as JSON whatever the `Content-Type`).",
    ),
    responses(
        (status = 204, description = "The secret is unlinked; the secret itself stays."),
        (status = 400, description = "The body breaks the `ContainerSecret` schema.",
            body = crate::openapi::ErrorBody),
        (status = 404, description = "No container with this id that the caller may see (`Secrets container not \
            found.`, or `Not Found. Provided container id is invalid.` for an id that is not a lowercase UUID v4); \
            or `secret_ref` names no live secret of the caller's project (`Secret '<name>' with reference '<ref>' \
            doesn't exist.`); or the secret is not in the container under this name (`Secret provided is not in the \
            container`).",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn remove(
    State(app): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath<String>,
    req: Request,
) -> ApiResult<StatusCode> {
    let container = super::load(&mut app.db.acquire().await?, &caller, &id, Action::ContainerSecretDelete).await?;
    let body = super::read_body(req, app.config.max_request_bytes, CONTAINER_SECRET, false).await?;
    let link = validate::container_secret(&body)?;

    let now = Timestamp::now();
    let mut tx = app.db.begin().await?;
    let container = super::lock(&mut tx, &container.project_id, container.id).await?;
    let Some(secret) = super::referenced_secret(&mut tx, &caller, &link.secret_ref, now).await? else {
        // Python's str() of a missing name is None.
        let name = link.name.as_deref().unwrap_or("None");
        return Err(ApiError::NotFound(format!("Secret '{name}' with reference '{}' doesn't exist.", link.secret_ref)));
    };
    if !containers::remove_secret(&mut tx, container.id, secret.id, link.name.as_deref()).await? {
        return Err(ApiError::NotFound("Secret provided is not in the container".into()));
    }
    tx.commit().await?;
    tracing::info!(container_id = %container.id, secret_id = %secret.id, "secret removed from container");
    Ok(StatusCode::NO_CONTENT)
}
