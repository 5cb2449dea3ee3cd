//! `PUT /v1/secrets/{id}/metadata/{key}`: changes the value of an existing key. The body names
//! the key again; a key missing from the secret is a 404, a body key that differs from the URL's
//! a 409 (checked in that order, as Barbican does).

use axum::Json;
use axum::extract::State;
use portcullis_store::{Timestamp, secret_metadata};
use serde_json::Value;

use super::docs::{SecretMetadatum, SecretMetadatumView};
use super::validate::{self, MetadatumSchema};
use crate::body::JsonBody;
use crate::context::Caller;
use crate::controllers::path::IdPath;
use crate::controllers::secrets;
use crate::error::{ApiError, ApiResult};
use crate::openapi::ErrorBody;
use crate::policy::Action;
use crate::state::AppState;

/// Change a metadata value
///
/// Sets the value of an existing key. The body names the key again: a key missing from the
/// secret is 404, a body key that differs from the URL's 409 (checked in that order).
#[utoipa::path(
    put,
    path = "/v1/secrets/{id}/metadata/{key}",
    tag = "secret-metadata",
    operation_id = "secret_metadatum_update",
    params(("id" = uuid::Uuid, Path, description = "The secret's id."), ("key" = String, Path, description = "The key, as stored (lowercase): another spelling is not found.")),
    request_body(content = SecretMetadatum, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed.", body = SecretMetadatumView),
        (status = 400, description = "The body breaks the `SecretMetadatum` schema, or the key is not URL-safe.",
            body = ErrorBody),
        (status = 404, description = "No such secret in the caller's reach, or it has no such key.", body = ErrorBody),
        (status = 409, description = "The body's key is not the URL's.", body = ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = ErrorBody),
    )
)]
pub async fn update(
    State(app): State<AppState>,
    caller: Caller,
    IdPath((id, url_key)): IdPath<(String, String)>,
    body: JsonBody<MetadatumSchema>,
) -> ApiResult<Json<Value>> {
    // Barbican's order: the secret and the policy (404/403), then the body.
    secrets::load_as(&mut app.db.acquire().await?, &caller, &id, Action::SecretMetaPut, "Secret metadatum update")
        .await?;
    let (key, value) = validate::metadatum(body.read().await?)?;
    let mut tx = app.db.begin().await?;
    let secret = secrets::load_as(&mut tx, &caller, &id, Action::SecretMetaPut, "Secret metadatum update").await?;
    if key != url_key {
        // Barbican's message is cut short by a Python string-concatenation slip; ours is whole.
        return Err(match secret_metadata::find(&mut tx, secret.id, &url_key).await? {
            None => super::not_found(),
            Some(_) => ApiError::Conflict("Key in request data does not match key in the request url.".into()),
        });
    }
    if !secret_metadata::update(&mut tx, secret.id, &key, &value, Timestamp::now()).await? {
        return Err(super::not_found());
    }
    tx.commit().await?;
    tracing::info!(secret_id = %secret.id, "secret metadatum updated");
    Ok(super::pair(&key, &value))
}
