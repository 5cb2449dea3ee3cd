//! The collection-level reads: every store, the global default, and the caller's preferred one.

use axum::Json;
use axum::extract::State;
use portcullis_store::secret_stores;
use serde_json::{Value, json};

use super::{require_enabled, view};
use crate::context::{Caller, Hrefs};
use crate::error::{ApiError, ApiResult};
use crate::policy::Action;
use crate::state::AppState;

/// List the secret stores
///
/// Every configured store, unpaged as in Barbican.
#[utoipa::path(
    get,
    path = "/v1/secret-stores",
    tag = "secret-stores",
    operation_id = "secret_stores_list",
    responses(
        (status = 200, description = "The stores.", body = super::docs::SecretStoreList),
        (status = 404, description = "Multiple secret stores are not configured (`[[secret_stores]]`).",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn list(State(app): State<AppState>, caller: Caller, hrefs: Hrefs) -> ApiResult<Json<Value>> {
    caller.authorize(Action::SecretStoresGet, None)?;
    require_enabled(&app)?;
    let stores = secret_stores::list(&mut app.db.acquire().await?).await?;
    let items: Vec<Value> = stores.iter().map(|s| view(s, &hrefs)).collect();
    Ok(Json(json!({ "secret_stores": items })))
}

/// Show the global default store
///
/// Where new secrets go when their project prefers no store.
#[utoipa::path(
    get,
    path = "/v1/secret-stores/global-default",
    tag = "secret-stores",
    operation_id = "secret_store_global_default_get",
    responses(
        (status = 200, description = "The global default store.", body = super::docs::SecretStore),
        (status = 404, description = "Multiple secret stores are not configured (`[[secret_stores]]`).",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn global_default(State(app): State<AppState>, caller: Caller, hrefs: Hrefs) -> ApiResult<Json<Value>> {
    caller.authorize(Action::SecretStoresGetGlobalDefault, None)?;
    require_enabled(&app)?;
    let store = secret_stores::global_default(&mut app.db.acquire().await?).await?;
    // Start-up syncs exactly one global default from the configuration.
    let store = store.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no global default secret store row")))?;
    Ok(Json(view(&store, &hrefs)))
}

/// Show the project's preferred store
///
/// The store the caller's project chose for its new secrets.
#[utoipa::path(
    get,
    path = "/v1/secret-stores/preferred",
    tag = "secret-stores",
    operation_id = "secret_store_preferred_get",
    responses(
        (status = 200, description = "The project's preferred store.", body = super::docs::SecretStore),
        (status = 404, description = "Multiple secret stores are not configured (`[[secret_stores]]`), or the project has no preferred store.",
            body = crate::openapi::ErrorBody),
    )
)]
pub async fn preferred(State(app): State<AppState>, caller: Caller, hrefs: Hrefs) -> ApiResult<Json<Value>> {
    caller.authorize(Action::SecretStoresGetPreferred, None)?;
    require_enabled(&app)?;
    let store = secret_stores::preferred(&mut app.db.acquire().await?, &caller.project_id).await?;
    let store = store.ok_or_else(super::preferred::none_defined)?;
    Ok(Json(view(&store, &hrefs)))
}
