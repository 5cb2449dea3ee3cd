//! `GET /v1/quotas`: the caller's project's effective quotas (its own values, defaults for the
//! rest), as `{"quotas": {"secrets": n, "orders": n, "containers": n, "consumers": n, "cas": n}}`.

use axum::Json;
use axum::extract::State;
use portcullis_store::quotas;
use serde_json::{Value, json};

use crate::context::Caller;
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

/// Show the project's effective quotas
///
/// The caller's project's quotas: its own settings, the configured defaults for the rest.
#[utoipa::path(
    get,
    path = "/v1/quotas",
    tag = "quotas",
    operation_id = "quotas_get",
    responses((status = 200, description = "The effective quotas.", body = super::docs::QuotasBody))
)]
pub async fn show(State(app): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.authorize(Action::QuotasGet, None)?;
    let mut conn = app.db.acquire().await?;
    let set = quotas::find(&mut conn, &caller.project_id).await?;
    let effective = super::defaults(&app.config).merged(set.as_ref().map(|p| &p.values));
    Ok(Json(json!({ "quotas": effective })))
}
