//! `DELETE /v1/orders/{id}`: soft-deletes the order. What it generated stays. A PENDING order's
//! job then finds the order gone and creates nothing (its transitions require `NOT deleted`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use portcullis_store::{Timestamp, orders};

use crate::context::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

pub async fn delete(State(app): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let id = super::order_id(&id)?;
    let mut tx = app.db.begin().await?;
    if !orders::soft_delete(&mut tx, &caller.project_id, id, Timestamp::now()).await? {
        return Err(super::order_not_found());
    }
    tx.commit().await?;
    tracing::info!(order_id = %id, "order deleted");
    Ok(StatusCode::NO_CONTENT)
}
