//! `POST` and `DELETE /v1/secret-stores/{id}/preferred`: set or clear the caller's project's
//! preferred store. Secrets already stored stay in their store; only new ones follow.

use axum::extract::State;
use axum::http::StatusCode;
use portcullis_store::{Timestamp, secret_stores};

use super::{load, require_enabled};
use crate::context::Caller;
use crate::controllers::path::IdPath;
use crate::error::{ApiError, ApiResult};
use crate::policy::Action;
use crate::state::AppState;

pub(super) fn none_defined() -> ApiError {
    ApiError::NotFound("Not Found. No preferred secret store defined for this project.".into())
}

/// Prefer a store for the project's new secrets
///
/// Makes the store the caller's project's preferred one, replacing an earlier choice. Secrets
/// already stored stay where they are. No request body.
#[utoipa::path(
    post,
    path = "/v1/secret-stores/{id}/preferred",
    tag = "secret-stores",
    operation_id = "secret_store_preferred_set",
    params(("id" = String, Path, format = Uuid, description = "The store's id (the last part of its `secret_store_ref`).")),
    responses(
        (status = 204, description = "The store is now the project's preferred one."),
        (status = 404, description = "Multiple secret stores are not configured (`[[secret_stores]]`), or no such store.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn set(State(app): State<AppState>, caller: Caller, IdPath(raw): IdPath<String>) -> ApiResult<StatusCode> {
    require_enabled(&app)?;
    let store = load(&mut app.db.acquire().await?, &raw).await?;
    caller.authorize(Action::SecretStorePreferredPost, None)?;
    if !app.keks.has_store(&store.name) {
        // Rows are synced from this process's configuration at start; a mismatch means another
        // process runs with another configuration.
        return Err(ApiError::Internal(anyhow::anyhow!("secret store {:?} is not configured here", store.name)));
    }
    let mut tx = app.db.begin().await?;
    secret_stores::set_preferred(&mut tx, &caller.project_id, &store.name, Timestamp::now()).await?;
    tx.commit().await?;
    tracing::info!(secret_store = %store.name, "preferred secret store set");
    Ok(StatusCode::NO_CONTENT)
}

/// Clear the project's preferred store
///
/// New secrets of the caller's project go to the global default again. As in Barbican, the
/// preference is removed whichever existing store the path names.
#[utoipa::path(
    delete,
    path = "/v1/secret-stores/{id}/preferred",
    tag = "secret-stores",
    operation_id = "secret_store_preferred_clear",
    params(("id" = String, Path, format = Uuid, description = "The store's id (the last part of its `secret_store_ref`).")),
    responses(
        (status = 204, description = "The project has no preferred store any more."),
        (status = 404, description = "Multiple secret stores are not configured (`[[secret_stores]]`), no such store, or the project has no preferred store.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn clear(State(app): State<AppState>, caller: Caller, IdPath(raw): IdPath<String>) -> ApiResult<StatusCode> {
    require_enabled(&app)?;
    load(&mut app.db.acquire().await?, &raw).await?;
    caller.authorize(Action::SecretStorePreferredDelete, None)?;
    let mut tx = app.db.begin().await?;
    if !secret_stores::clear_preferred(&mut tx, &caller.project_id).await? {
        return Err(none_defined());
    }
    tx.commit().await?;
    tracing::info!("preferred secret store cleared");
    Ok(StatusCode::NO_CONTENT)
}
