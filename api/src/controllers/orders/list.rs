//! `GET /v1/orders`: a project's live orders, oldest first, paged as Barbican pages
//! (`{"orders": [...], "total"}` with `next`/`previous` links).

use axum::Json;
use axum::extract::{Query, State};
use portcullis_store::orders;
use serde_json::{Map, Value};

use super::docs::OrderList;
use super::view::order_view;
use crate::context::{Caller, Hrefs};
use crate::controllers::paging::{add_nav, page_from};
use crate::error::ApiResult;
use crate::openapi::PageParams;
use crate::policy::Action;
use crate::state::AppState;

/// List orders.
///
/// The caller's project's live orders, oldest first, a page at a time.
#[utoipa::path(
    get,
    path = "/v1/orders",
    tag = "orders",
    operation_id = "orders_list",
    params(PageParams),
    responses(
        (status = 200, description = "A page of orders, with links to the pages around it.", body = OrderList,
            example = json!({"orders": [{
                "created": "2026-11-25T00:59:06.863635", "updated": "2026-11-25T00:59:06.873851",
                "status": "ERROR", "type": "key",
                "meta": {"algorithm": "foo", "bit_length": 8, "name": null, "expiration": null},
                "error_status_code": "400",
                "error_reason": "Process TypeOrder issue seen - Secret generate supported plugin not found..",
                "order_ref": "http://localhost:9311/v1/orders/45bd1816-51d6-4cb5-b0aa-f58d333ef451"
            }], "total": 2, "next": "http://localhost:9311/v1/orders?limit=1&offset=1"})),
    )
)]
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
