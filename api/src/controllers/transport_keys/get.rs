//! `GET /v1/transport_keys/{id}`.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use portcullis_store::transport_keys;
use serde_json::Value;

use crate::context::{Caller, Hrefs};
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

#[utoipa::path(get, path = "/v1/transport_keys/{id}", tag = "transport-keys")]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<Value>> {
    let id = super::path_id(path)?;
    caller.authorize(Action::TransportKeyGet, None)?;
    let key = transport_keys::find(&mut app.db.acquire().await?, id).await?.ok_or_else(super::not_found)?;
    Ok(Json(super::view(&key, &hrefs)))
}
