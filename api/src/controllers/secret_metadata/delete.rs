//! `DELETE /v1/secrets/{id}/metadata/{key}`: removes one key. 204 whether or not the key
//! existed, as Barbican.

use axum::extract::State;
use axum::http::StatusCode;
use portcullis_store::secret_metadata;

use crate::context::Caller;
use crate::controllers::path::IdPath;
use crate::controllers::secrets;
use crate::error::ApiResult;
use crate::openapi::ErrorBody;
use crate::policy::Action;
use crate::state::AppState;

/// Remove a metadata key
///
/// 204 whether or not the secret had the key, as in Barbican.
#[utoipa::path(
    delete,
    path = "/v1/secrets/{id}/metadata/{key}",
    tag = "secret-metadata",
    operation_id = "secret_metadatum_delete",
    params(("id" = uuid::Uuid, Path, description = "The secret's id."), ("key" = String, Path, description = "The key, as stored (lowercase): another spelling is not found.")),
    responses(
        (status = 204, description = "Removed (or was not there)."),
        (status = 404, description = "No such secret in the caller's reach.", body = ErrorBody),
    )
)]
pub async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    IdPath((id, key)): IdPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let mut tx = app.db.begin().await?;
    let secret = secrets::load(&mut tx, &caller, &id, Action::SecretMetaDelete).await?;
    secret_metadata::delete(&mut tx, secret.id, &key).await?;
    tx.commit().await?;
    tracing::info!(secret_id = %secret.id, "secret metadatum removed");
    Ok(StatusCode::NO_CONTENT)
}
