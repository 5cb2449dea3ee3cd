//! `GET /v1/orders/{id}`: one order of the caller's project.

use axum::Json;
use axum::extract::State;
use serde_json::Value;

use super::docs::Order;
use super::view::order_view;
use crate::context::{Caller, Hrefs};
use crate::controllers::path::IdPath;
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

/// Show an order.
///
/// Poll this until `status` leaves PENDING: ACTIVE with `secret_ref` (key orders) or
/// `container_ref` (asymmetric and certificate orders), or ERROR with `error_status_code` and
/// `error_reason`.
#[utoipa::path(
    get,
    path = "/v1/orders/{id}",
    tag = "orders",
    operation_id = "order_show",
    params(("id" = String, Path, format = Uuid, description = "The order's id.")),
    responses(
        (status = 200, description = "The order, in whatever state it is.", body = Order),
        (status = 404, description = "No live order of the caller's project has this id (`Order not found.`).",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
) -> ApiResult<Json<Value>> {
    let mut conn = app.db.acquire().await?;
    let order = super::load(&mut conn, &caller, &id, Action::OrderGet).await?;
    Ok(Json(order_view(&hrefs, &order)))
}
