//! `/v1/cas`: the certificate authorities certificate orders are sent to, as Barbican's CA
//! resource shows them (read-only here: the local CA is made on first start).
//!
//! # Layout
//! - this file: `GET /v1/cas` and `GET /v1/cas/{id}`.
//! - [`certs`]: `GET /v1/cas/{id}/cacert` and `/intermediates` (PEM text).

pub mod certs;

use axum::Json;
use axum::extract::{Path, Query, State};
use portcullis_store::AsConn;
use portcullis_store::certificate_authorities::{self as cas, CaRow};
use serde_json::{Map, Value, json};

use crate::context::{Caller, Hrefs};
use crate::controllers::paging::{add_nav, page_from};
use crate::error::{ApiError, ApiResult};
use crate::policy::Action;
use crate::state::AppState;

/// Barbican's 404 for an unknown CA.
fn ca_not_found() -> ApiError {
    ApiError::NotFound("Not Found. CA not found.".into())
}

/// The CA a path names.
pub async fn load(c: &mut impl AsConn, raw_id: &str) -> ApiResult<CaRow> {
    let id = uuid::Uuid::try_parse(raw_id).map_err(|_| ca_not_found())?;
    cas::find(c, id).await?.ok_or_else(ca_not_found)
}

/// `GET /v1/cas`: `{"cas": [ca_ref, ...], "total"}`, paged.
#[utoipa::path(get, path = "/v1/cas", tag = "cas")]
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

/// `GET /v1/cas/{id}`.
#[utoipa::path(get, path = "/v1/cas/{id}", tag = "cas")]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    Path(id): Path<String>,
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
