//! `POST /v1/secrets/{id}/metadata`: adds one key. 201 with `Location` naming the key; an
//! existing key is a 409.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_store::{Timestamp, secret_metadata};

use super::docs::{SecretMetadatum, SecretMetadatumView};
use super::validate::{self, MetadatumSchema};
use crate::body::JsonBody;
use crate::context::{Caller, Hrefs};
use crate::controllers::path::IdPath;
use crate::controllers::secrets;
use crate::error::{ApiError, ApiResult};
use crate::openapi::ErrorBody;
use crate::policy::Action;
use crate::state::AppState;

/// Add a metadata key
///
/// Adds one key/value pair to the secret; the key must be new.
#[utoipa::path(
    post,
    path = "/v1/secrets/{id}/metadata",
    tag = "secret-metadata",
    operation_id = "secret_metadatum_create",
    params(("id" = uuid::Uuid, Path, description = "The secret's id.")),
    request_body(content = SecretMetadatum, content_type = "application/json"),
    responses(
        (status = 201, description = "Added.", body = SecretMetadatumView,
            headers(("Location" = String, description = "The key's URL."))),
        (status = 400, description = "The body breaks the `SecretMetadatum` schema, or the key is not URL-safe.",
            body = ErrorBody),
        (status = 404, description = "No such secret in the caller's reach.", body = ErrorBody),
        (status = 409, description = "The secret has this key already.", body = ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = ErrorBody),
    )
)]
pub async fn create(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
    body: JsonBody<MetadatumSchema>,
) -> ApiResult<Response> {
    // Barbican's order: the secret and the policy (404/403), then the body.
    secrets::load(&mut app.db.acquire().await?, &caller, &id, Action::SecretMetaPost).await?;
    let (key, value) = validate::metadatum(body.read().await?)?;
    let mut tx = app.db.begin().await?;
    let secret = secrets::load(&mut tx, &caller, &id, Action::SecretMetaPost).await?;
    if !secret_metadata::insert(&mut tx, secret.id, &key, &value, Timestamp::now()).await? {
        return Err(ApiError::Conflict("Conflict. Key in request is already in the secret metadata".into()));
    }
    tx.commit().await?;
    tracing::info!(secret_id = %secret.id, "secret metadatum added");
    let location = format!("{}/{key}", super::metadata_ref(&hrefs, &secret.id));
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], super::pair(&key, &value)).into_response())
}
