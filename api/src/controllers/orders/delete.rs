//! `DELETE /v1/orders/{id}`: soft-deletes the order and, in the same transaction, cancels its
//! jobs that have not started (`portcullis_jobs::cancel_order_jobs`). What it generated stays. A
//! job already running finds the order gone and creates nothing (its transitions require
//! `NOT deleted`).

use axum::extract::State;
use axum::http::StatusCode;
use portcullis_store::{Timestamp, orders};

use crate::context::Caller;
use crate::controllers::path::IdPath;
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

/// Delete an order.
///
/// A PENDING order's jobs that have not started are cancelled. What the order generated (its
/// secret or container) is not deleted.
#[utoipa::path(
    delete,
    path = "/v1/orders/{id}",
    tag = "orders",
    operation_id = "order_delete",
    params(("id" = String, Path, format = Uuid, description = "The order's id.")),
    responses(
        (status = 204, description = "The order is deleted."),
        (status = 404, description = "No live order of the caller's project has this id (`Order not found.`).",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn delete(State(app): State<AppState>, caller: Caller, IdPath(id): IdPath<String>) -> ApiResult<StatusCode> {
    let mut tx = app.db.begin().await?;
    let order = super::load(&mut tx, &caller, &id, Action::OrderDelete).await?;
    let id = order.id;
    if !orders::soft_delete(&mut tx, &order.project_id, id, Timestamp::now()).await? {
        return Err(super::order_not_found());
    }
    let cancelled = portcullis_jobs::cancel_order_jobs(&mut tx, id).await?;
    tx.commit().await?;
    tracing::info!(order_id = %id, cancelled_jobs = cancelled, "order deleted");
    Ok(StatusCode::NO_CONTENT)
}
