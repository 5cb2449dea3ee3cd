//! `GET /v1/secrets/{id}/metadata`: every key/value of a secret, as `{"metadata": {k: v}}`.

use axum::Json;
use axum::extract::State;
use portcullis_store::secret_metadata;
use serde_json::{Map, Value, json};

use super::docs::SecretMetadata;
use crate::context::Caller;
use crate::controllers::path::IdPath;
use crate::controllers::secrets;
use crate::error::ApiResult;
use crate::openapi::ErrorBody;
use crate::policy::Action;
use crate::state::AppState;

/// List a secret's metadata
///
/// Every key/value pair of the secret.
#[utoipa::path(
    get,
    path = "/v1/secrets/{id}/metadata",
    tag = "secret-metadata",
    operation_id = "secret_metadata_list",
    params(("id" = uuid::Uuid, Path, description = "The secret's id.")),
    responses(
        (status = 200, description = "The pairs.", body = SecretMetadata,
            example = json!({"metadata": {"shape": "round", "color": "red"}})),
        (status = 404, description = "No such secret in the caller's reach.", body = ErrorBody),
    )
)]
pub async fn list(State(app): State<AppState>, caller: Caller, IdPath(id): IdPath<String>) -> ApiResult<Json<Value>> {
    let mut conn = app.db.acquire().await?;
    let secret = secrets::load(&mut conn, &caller, &id, Action::SecretMetaGet).await?;
    let pairs: Map<String, Value> =
        secret_metadata::all(&mut conn, secret.id).await?.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    Ok(Json(json!({"metadata": pairs})))
}
