//! `GET /v1/secret-stores/{id}`.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use serde_json::Value;

use super::{load, require_enabled, view};
use crate::context::{Caller, Hrefs};
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

/// One store. As in Barbican, the store is looked up (404) before the policy check.
#[utoipa::path(get, path = "/v1/secret-stores/{id}", tag = "secret-stores")]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<Value>> {
    require_enabled(&app)?;
    let store = load(&mut app.db.acquire().await?, path).await?;
    caller.authorize(Action::SecretStoreGet, None)?;
    Ok(Json(view(&store, &hrefs)))
}
