//! `DELETE /v1/containers/{id}`: soft-deletes the container, drops its secret links and
//! soft-deletes its consumers, in one transaction. The secrets themselves are untouched.

use axum::extract::State;
use axum::http::StatusCode;
use portcullis_store::Timestamp;
use portcullis_store::acls::{self, AclEntity};
use portcullis_store::containers;

use crate::context::Caller;
use crate::controllers::path::IdPath;
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

/// Delete a container.
///
/// The container, its secret links, consumers and ACL go; the secrets themselves stay.
#[utoipa::path(
    delete,
    path = "/v1/containers/{id}",
    tag = "containers",
    operation_id = "container_delete",
    params(("id" = String, Path, format = Uuid, description = "The container's id.")),
    responses(
        (status = 204, description = "The container is deleted."),
        (status = 404, description = "No container with this id that the caller may see (`Secrets container not \
            found.`, or `Not Found. Provided container id is invalid.` for an id that is not a lowercase UUID v4).",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn delete(State(app): State<AppState>, caller: Caller, IdPath(id): IdPath<String>) -> ApiResult<StatusCode> {
    let mut tx = app.db.begin().await?;
    let container = super::load(&mut tx, &caller, &id, Action::ContainerDelete).await?;
    let id = container.id;
    let now = Timestamp::now();
    if !containers::soft_delete(&mut tx, &container.project_id, id, now).await? {
        return Err(super::container_not_found());
    }
    acls::delete_all(&mut tx, AclEntity::Container, id, now).await?;
    tx.commit().await?;
    tracing::info!(container_id = %id, "container deleted");
    Ok(StatusCode::NO_CONTENT)
}
