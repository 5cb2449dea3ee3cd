//! `GET /v1/secret-stores/{id}`.

use axum::Json;
use axum::extract::State;
use serde_json::Value;

use super::{load, require_enabled, view};
use crate::context::{Caller, Hrefs};
use crate::controllers::path::IdPath;
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

/// Show a secret store
///
/// As in Barbican, the store is looked up (404) before the policy check.
#[utoipa::path(
    get,
    path = "/v1/secret-stores/{id}",
    tag = "secret-stores",
    operation_id = "secret_store_get",
    params(("id" = String, Path, format = Uuid, description = "The store's id (the last part of its `secret_store_ref`).")),
    responses(
        (status = 200, description = "The store.", body = super::docs::SecretStore),
        (status = 404, description = "Multiple secret stores are not configured (`[[secret_stores]]`), or no such store.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(raw): IdPath<String>,
) -> ApiResult<Json<Value>> {
    require_enabled(&app)?;
    let store = load(&mut app.db.acquire().await?, &raw).await?;
    caller.authorize(Action::SecretStoreGet, None)?;
    Ok(Json(view(&store, &hrefs)))
}
