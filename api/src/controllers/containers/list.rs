//! `GET /v1/containers`: a project's live containers, oldest first, paged as Barbican pages.
//!
//! Filters: `name` (a SQL `LIKE` pattern, as Barbican applies it) and `type` (exact). Empty
//! values filter nothing. The `next`/`previous` links carry only `limit` and `offset`, as
//! Barbican's do for containers.

use axum::Json;
use axum::extract::{Query, State};
use portcullis_store::containers::{self, ContainerFilter};
use serde_json::{Map, Value};

use super::docs::{ContainerFilters, ContainerList};
use super::view::container_views;
use crate::context::{Caller, Hrefs};
use crate::controllers::paging::{add_nav, page_from};
use crate::error::ApiResult;
use crate::openapi::PageParams;
use crate::policy::Action;
use crate::state::AppState;

/// List containers.
///
/// The caller's project's live containers, oldest first, a page at a time. The `next` and
/// `previous` links carry only `limit` and `offset`, as Barbican's do.
#[utoipa::path(
    get,
    path = "/v1/containers",
    tag = "containers",
    operation_id = "containers_list",
    params(PageParams, ContainerFilters),
    responses(
        (status = 200, description = "A page of containers, with links to the pages around it.",
            body = ContainerList),
    )
)]
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Query(params): Query<Vec<(String, String)>>,
) -> ApiResult<Json<Map<String, Value>>> {
    caller.authorize(Action::ContainersGet, None)?;
    let last =
        |k: &str| params.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
    let filter = ContainerFilter { name: last("name"), kind: last("type") };
    let page = page_from(&params);
    let mut conn = app.db.acquire().await?;
    let (rows, total) = containers::list(&mut conn, &caller.project_id, &filter, page).await?;
    let views = container_views(&mut conn, &hrefs, &rows).await?;
    let mut body = Map::new();
    body.insert("containers".into(), serde_json::to_value(views).map_err(anyhow::Error::from)?);
    add_nav(&mut body, "containers", &hrefs, "containers", "", page, total);
    Ok(Json(body))
}
