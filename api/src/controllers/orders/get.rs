//! `GET /v1/orders/{id}`: one order of the caller's project.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::Value;

use super::view::order_view;
use crate::context::{Caller, Hrefs};
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

#[utoipa::path(get, path = "/v1/orders/{id}", tag = "orders")]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut conn = app.db.acquire().await?;
    let order = super::load(&mut conn, &caller, &id, Action::OrderGet).await?;
    Ok(Json(order_view(&hrefs, &order)))
}
