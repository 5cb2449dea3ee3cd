//! `GET /v1/orders`: a project's live orders, oldest first, paged as Barbican pages
//! (`{"orders": [...], "total"}` with `next`/`previous` links).

use axum::Json;
use axum::extract::{Query, State};
use portcullis_store::orders;
use serde_json::{Map, Value};

use super::view::order_view;
use crate::context::{Caller, Hrefs};
use crate::controllers::paging::{add_nav, page_from};
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

#[utoipa::path(get, path = "/v1/orders", tag = "orders")]
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Query(params): Query<Vec<(String, String)>>,
) -> ApiResult<Json<Map<String, Value>>> {
    caller.authorize(Action::OrdersGet, None)?;
    let page = page_from(&params);
    let mut conn = app.db.acquire().await?;
    let (rows, total) = orders::list(&mut conn, &caller.project_id, page).await?;
    let mut body = Map::new();
    body.insert("orders".into(), rows.iter().map(|o| order_view(&hrefs, o)).collect());
    add_nav(&mut body, "orders", &hrefs, "orders", "", page, total);
    Ok(Json(body))
}
