//! `GET /v1/transport_keys`: refs of live transport keys, oldest first, paged as Barbican pages
//! (`limit`, `offset`, `next`/`previous`, `total`), optionally of one `plugin_name`.

use axum::Json;
use axum::extract::{Query, State};
use portcullis_store::transport_keys;
use serde_json::{Map, Value};

use crate::context::{Caller, Hrefs};
use crate::controllers::paging::{add_nav, page_from};
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

/// List transport keys
///
/// The refs of live transport keys, oldest first, paged; optionally only those of one plugin.
#[utoipa::path(
    get,
    path = "/v1/transport_keys",
    tag = "transport-keys",
    operation_id = "transport_keys_list",
    params(
        crate::openapi::PageParams,
        ("plugin_name" = Option<String>, Query, description = "Only keys registered for this plugin."),
    ),
    responses((status = 200, description = "A page of key refs.", body = super::docs::TransportKeyList))
)]
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Query(params): Query<Vec<(String, String)>>,
) -> ApiResult<Json<Value>> {
    caller.authorize(Action::TransportKeysGet, None)?;
    let page = page_from(&params);
    let plugin_name = params.iter().rev().find(|(k, _)| k == "plugin_name").map(|(_, v)| v.as_str());
    let (keys, total) = transport_keys::list(&mut app.db.acquire().await?, plugin_name, page).await?;
    let refs: Vec<Value> = keys.iter().map(|k| super::href(&hrefs, &k.id).into()).collect();
    let mut body = Map::new();
    body.insert("transport_keys".into(), refs.into());
    // Barbican's links carry only limit and offset (not the plugin_name filter).
    add_nav(&mut body, "transport_keys", &hrefs, "transport_keys", "", page, total);
    Ok(Json(Value::Object(body)))
}
