//! `DELETE /v1/transport_keys/{id}` (admin): soft-deletes the key; 204.

use axum::extract::State;
use axum::http::StatusCode;
use portcullis_store::{Timestamp, transport_keys};

use crate::context::Caller;
use crate::controllers::path::IdPath;
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

/// Delete a transport key (admin)
#[utoipa::path(
    delete,
    path = "/v1/transport_keys/{id}",
    tag = "transport-keys",
    operation_id = "transport_key_delete",
    params(("id" = String, Path, format = Uuid, description = "The key's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 404, description = "No such key (or the id is not a UUID).", body = crate::openapi::ErrorBody),
    )
)]
pub async fn delete(State(app): State<AppState>, caller: Caller, IdPath(raw): IdPath<String>) -> ApiResult<StatusCode> {
    let id = crate::controllers::parse_id(&raw, "transport key")?;
    caller.authorize(Action::TransportKeyDelete, None)?;
    let mut tx = app.db.begin().await?;
    if !transport_keys::soft_delete(&mut tx, id, Timestamp::now()).await? {
        return Err(super::not_found());
    }
    tx.commit().await?;
    tracing::info!(transport_key_id = %id, "transport key deleted");
    Ok(StatusCode::NO_CONTENT)
}
