//! `/v1/cas`: the certificate authorities certificate orders are sent to, as Barbican's CA
//! resource shows them (read-only here: the local CA is made on first start).
//!
//! # Layout
//! - this file: `GET /v1/cas` and `GET /v1/cas/{id}`.
//! - [`certs`]: `GET /v1/cas/{id}/cacert` and `/intermediates` (PEM text).
//! - [`docs`]: the documented response bodies (OpenAPI only).

pub mod certs;
pub mod docs;

use axum::Json;
use axum::extract::{Query, State};
use portcullis_store::AsConn;
use portcullis_store::certificate_authorities::{self as cas, CaRow};
use serde_json::{Map, Value, json};

use crate::context::{Caller, Hrefs};
use crate::controllers::paging::{add_nav, page_from};
use crate::controllers::path::IdPath;
use crate::error::{ApiError, ApiResult};
use crate::openapi::PageParams;
use crate::policy::Action;
use crate::state::AppState;

/// Barbican's 404 for an unknown CA.
pub(crate) fn ca_not_found() -> ApiError {
    ApiError::NotFound("Not Found. CA not found.".into())
}

/// The CA a path names.
pub async fn load(c: &mut impl AsConn, raw_id: &str) -> ApiResult<CaRow> {
    let id = uuid::Uuid::try_parse(raw_id).map_err(|_| ca_not_found())?;
    cas::find(c, id).await?.ok_or_else(ca_not_found)
}

/// List certificate authorities.
///
/// The CAs certificate orders can name in `ca_id`, as refs, a page at a time. The local CA is
/// made on first start.
#[utoipa::path(
    get,
    path = "/v1/cas",
    tag = "cas",
    operation_id = "cas_list",
    params(PageParams),
    responses(
        (status = 200, description = "A page of CA refs, with links to the pages around it.", body = docs::CaList),
    )
)]
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Query(params): Query<Vec<(String, String)>>,
) -> ApiResult<Json<Map<String, Value>>> {
    caller.authorize(Action::CasGet, None)?;
    let page = page_from(&params);
    let rows = cas::list(&mut app.db.acquire().await?).await?;
    let total = rows.len() as i64;
    let refs: Vec<Value> =
        rows.iter().skip(page.offset as usize).take(page.limit as usize).map(|r| hrefs.ca(&r.id).into()).collect();
    let mut body = Map::new();
    body.insert("cas".into(), refs.into());
    add_nav(&mut body, "cas", &hrefs, "cas", "", page, total);
    Ok(Json(body))
}

/// Show a certificate authority.
#[utoipa::path(
    get,
    path = "/v1/cas/{id}",
    tag = "cas",
    operation_id = "ca_show",
    params(("id" = String, Path, format = Uuid, description = "The CA's id.")),
    responses(
        (status = 200, description = "The CA.", body = docs::Ca),
        (status = 404, description = "No CA has this id (`Not Found. CA not found.`).",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
) -> ApiResult<Json<Value>> {
    caller.authorize(Action::CaGet, None)?;
    let ca = load(&mut app.db.acquire().await?, &id).await?;
    Ok(Json(json!({
        "ca_ref": hrefs.ca(&ca.id),
        "name": ca.name,
        "description": ca.description,
        "plugin_name": ca.plugin_name,
        "plugin_ca_id": ca.name,
        "expiration": ca.expiration.to_barbican(),
        "status": "ACTIVE",
        "meta": [{"name": ca.name}, {"description": ca.description}],
        "created": ca.created_at.to_barbican(),
        "updated": ca.updated_at.to_barbican(),
    })))
}
