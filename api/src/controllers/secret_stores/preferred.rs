//! `POST` and `DELETE /v1/secret-stores/{id}/preferred`: set or clear the caller's project's
//! preferred store. Secrets already stored stay in their store; only new ones follow.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use portcullis_store::{Timestamp, secret_stores};

use super::{load, require_enabled};
use crate::context::Caller;
use crate::error::{ApiError, ApiResult};
use crate::policy::Action;
use crate::state::AppState;

pub(super) fn none_defined() -> ApiError {
    ApiError::NotFound("Not Found. No preferred secret store defined for this project.".into())
}

/// Makes the store the project's preferred one (replacing an earlier choice): 204.
#[utoipa::path(post, path = "/v1/secret-stores/{id}/preferred", tag = "secret-stores")]
pub async fn set(
    State(app): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<StatusCode> {
    require_enabled(&app)?;
    let store = load(&mut app.db.acquire().await?, path).await?;
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

/// Clears the project's preferred store: 204, or 404 if it has none. As in Barbican, the
/// project's preference is removed whichever existing store the path names.
#[utoipa::path(delete, path = "/v1/secret-stores/{id}/preferred", tag = "secret-stores")]
pub async fn clear(
    State(app): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<StatusCode> {
    require_enabled(&app)?;
    load(&mut app.db.acquire().await?, path).await?;
    caller.authorize(Action::SecretStorePreferredDelete, None)?;
    let mut tx = app.db.begin().await?;
    if !secret_stores::clear_preferred(&mut tx, &caller.project_id).await? {
        return Err(none_defined());
    }
    tx.commit().await?;
    tracing::info!("preferred secret store cleared");
    Ok(StatusCode::NO_CONTENT)
}
