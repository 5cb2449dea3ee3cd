//! `DELETE /v1/containers/{id}`: soft-deletes the container, drops its secret links and
//! soft-deletes its consumers, in one transaction. The secrets themselves are untouched.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use portcullis_store::Timestamp;
use portcullis_store::containers;

use crate::context::Caller;
use crate::controllers::parse_id;
use crate::error::ApiResult;
use crate::state::AppState;

pub async fn delete(State(app): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let id = parse_id(&id, "container")?;
    let mut tx = app.db.begin().await?;
    if !containers::soft_delete(&mut tx, &caller.project_id, id, Timestamp::now()).await? {
        return Err(super::container_not_found());
    }
    tx.commit().await?;
    tracing::info!(container_id = %id, "container deleted");
    Ok(StatusCode::NO_CONTENT)
}
