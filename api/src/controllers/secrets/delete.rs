//! `DELETE /v1/secrets/{id}`: soft-deletes the secret and erases its ciphertext. From
//! microversion 1.2 a secret that still has consumers is kept unless `?force=true` (`force` is
//! not read before 1.2, as in Barbican).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use portcullis_store::Timestamp;
use portcullis_store::secrets;

use super::docs::DeleteQuery;
use crate::context::Caller;
use crate::controllers::path::IdPath;
use crate::error::{ApiError, ApiResult};
use crate::middleware::ApiVersion;
use crate::openapi::ErrorBody;
use crate::policy::Action;
use crate::state::AppState;

/// Delete a secret
///
/// Erases its payload and drops its ACL, consumers and container links. From microversion 1.2 a
/// secret that still has consumers is kept (400) unless `force` is true; before 1.2 `force` is
/// not read.
#[utoipa::path(
    delete,
    path = "/v1/secrets/{id}",
    tag = "secrets",
    operation_id = "secret_delete",
    params(
        ("id" = uuid::Uuid, Path, description = "The secret's id."),
        DeleteQuery,
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "`force` is not a boolean, or (microversion 1.2) the secret has consumers \
            and `force` is not true.", body = ErrorBody),
        (status = 404, description = "No such secret in the caller's reach.", body = ErrorBody),
    )
)]
pub async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    version: ApiVersion,
    IdPath(id): IdPath<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> ApiResult<StatusCode> {
    let mut tx = app.db.begin().await?;
    let secret = super::load(&mut tx, &caller, &id, Action::SecretDelete).await?;
    // As Barbican: `force` is read only from 1.2, and only once the secret is found and allowed.
    if version.at_least(2) {
        let force = match params.iter().rev().find(|(k, _)| k == "force") {
            Some((_, v)) => parse_bool(v)
                .ok_or_else(|| ApiError::BadRequest("URI provided invalid query string parameters.".into()))?,
            None => false,
        };
        if !force && !super::consumers_of(&mut tx, &secret).await?.is_empty() {
            return Err(ApiError::BadRequest(
                "Secret deletion issue seen - Secret cannot be deleted as it has consumers..".into(),
            ));
        }
    }
    secrets::soft_delete(&mut tx, &secret.project_id, secret.id, Timestamp::now()).await?;
    portcullis_store::acls::delete_all(&mut tx, portcullis_store::acls::AclEntity::Secret, secret.id, Timestamp::now())
        .await?;
    portcullis_store::secret_consumers::remove_all_of_secret(&mut tx, secret.id, Timestamp::now()).await?;
    // Barbican drops a deleted secret's container links with it.
    portcullis_store::containers::remove_links_to_secret(&mut tx, secret.id).await?;
    tx.commit().await?;
    tracing::info!(secret_id = %secret.id, "secret deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// oslo's strict `bool_from_string`.
fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "on" | "y" | "yes" => Some(true),
        "0" | "f" | "false" | "off" | "n" | "no" => Some(false),
        _ => None,
    }
}
