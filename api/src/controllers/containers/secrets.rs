//! `POST`/`DELETE /v1/containers/{id}/secrets`: link a secret of the caller's project to a
//! generic container, or unlink it. A secret may be linked several times under different names;
//! the pair (secret, name) is unique.
//!
//! Order of checks, as Barbican's: container (404), content type (415, POST only), container
//! type (400, POST only), body, secret (404), link (409 on POST, 404 on DELETE). Only POST is
//! limited to generic containers, as in Barbican.

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_store::Timestamp;
use portcullis_store::containers;
use serde_json::json;

use super::validate::{self, CONTAINER_SECRET};
use crate::body::media_type;
use crate::context::{Caller, Hrefs};
use crate::error::{ApiError, ApiResult};
use crate::policy::Action;
use crate::state::AppState;

#[utoipa::path(post, path = "/v1/containers/{id}/secrets", tag = "containers")]
pub async fn add(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Path(id): Path<String>,
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

/// Barbican reads this body whatever its `Content-Type`.
#[utoipa::path(delete, path = "/v1/containers/{id}/secrets", tag = "containers")]
pub async fn remove(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
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
