//! `PUT /v1/secrets/{id}/metadata`: replaces all of a secret's metadata. Answers 201 with the
//! `metadata_ref` and, as Barbican, no `Location`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use portcullis_store::{Timestamp, secret_metadata};
use serde_json::{Value, json};

use super::docs::{SecretMetadata, SecretMetadataRef};
use super::validate::{self, MetadataSchema};
use crate::body::JsonBody;
use crate::context::{Caller, Hrefs};
use crate::controllers::path::IdPath;
use crate::controllers::secrets;
use crate::error::ApiResult;
use crate::openapi::ErrorBody;
use crate::policy::Action;
use crate::state::AppState;

/// Replace a secret's metadata
///
/// The pairs in the body become the secret's only ones. Answers with the metadata's URL (and, as
/// Barbican, no `Location`).
#[utoipa::path(
    put,
    path = "/v1/secrets/{id}/metadata",
    tag = "secret-metadata",
    operation_id = "secret_metadata_replace",
    params(("id" = uuid::Uuid, Path, description = "The secret's id.")),
    request_body(content = SecretMetadata, content_type = "application/json",
        example = json!({"metadata": {"shape": "round", "color": "red"}})),
    responses(
        (status = 201, description = "Replaced.", body = SecretMetadataRef),
        (status = 400, description = "`metadata` is missing or not an object, a key is not URL-safe, a value \
            is not a string, or a key or value is over 255 characters.", body = ErrorBody),
        (status = 404, description = "No such secret in the caller's reach.", body = ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = ErrorBody),
    )
)]
pub async fn replace(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
    body: JsonBody<MetadataSchema>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    // Barbican's order: the secret and the policy (404/403), then the body.
    secrets::load(&mut app.db.acquire().await?, &caller, &id, Action::SecretMetaPut).await?;
    let pairs = validate::metadata(body.read().await?)?;
    let mut tx = app.db.begin().await?;
    let secret = secrets::load(&mut tx, &caller, &id, Action::SecretMetaPut).await?;
    secret_metadata::replace_all(&mut tx, secret.id, &pairs, Timestamp::now()).await?;
    tx.commit().await?;
    tracing::info!(secret_id = %secret.id, keys = pairs.len(), "secret metadata replaced");
    Ok((StatusCode::CREATED, Json(json!({"metadata_ref": super::metadata_ref(&hrefs, &secret.id)}))))
}
