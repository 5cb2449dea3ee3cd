//! `GET /v1/secrets/{id}/metadata/{key}`: one pair, `{"key", "value"}`.

use axum::Json;
use axum::extract::State;
use portcullis_store::secret_metadata;
use serde_json::Value;

use super::docs::SecretMetadatumView;
use crate::context::Caller;
use crate::controllers::path::IdPath;
use crate::controllers::secrets;
use crate::error::ApiResult;
use crate::openapi::ErrorBody;
use crate::policy::Action;
use crate::state::AppState;

/// Show a metadata key
///
/// One key of the secret's metadata, with its value.
#[utoipa::path(
    get,
    path = "/v1/secrets/{id}/metadata/{key}",
    tag = "secret-metadata",
    operation_id = "secret_metadatum_get",
    params(("id" = uuid::Uuid, Path, description = "The secret's id."), ("key" = String, Path, description = "The key, as stored (lowercase): another spelling is not found.")),
    responses(
        (status = 200, description = "The pair.", body = SecretMetadatumView),
        (status = 404, description = "No such secret in the caller's reach, or it has no such key.", body = ErrorBody),
    )
)]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    IdPath((id, key)): IdPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let mut conn = app.db.acquire().await?;
    let secret = secrets::load_as(&mut conn, &caller, &id, Action::SecretMetaGet, "Secret metadatum retrieval").await?;
    let value = secret_metadata::find(&mut conn, secret.id, &key).await?.ok_or_else(super::not_found)?;
    Ok(super::pair(&key, &value))
}
