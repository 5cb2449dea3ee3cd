//! `GET /v1/transport_keys/{id}`.

use axum::Json;
use axum::extract::State;
use portcullis_store::transport_keys;
use serde_json::Value;

use crate::context::{Caller, Hrefs};
use crate::controllers::path::IdPath;
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

/// Show a transport key
///
/// The key with its PEM text. Any caller may read it.
#[utoipa::path(
    get,
    path = "/v1/transport_keys/{id}",
    tag = "transport-keys",
    operation_id = "transport_key_get",
    params(("id" = String, Path, format = Uuid, description = "The key's id.")),
    responses(
        (status = 200, description = "The key.", body = super::docs::TransportKey),
        (status = 404, description = "No such key (or the id is not a UUID).", body = crate::openapi::ErrorBody),
    )
)]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(raw): IdPath<String>,
) -> ApiResult<Json<Value>> {
    let id = crate::controllers::parse_id(&raw, "transport key")?;
    caller.authorize(Action::TransportKeyGet, None)?;
    let key = transport_keys::find(&mut app.db.acquire().await?, id).await?.ok_or_else(super::not_found)?;
    Ok(Json(super::view(&key, &hrefs)))
}
