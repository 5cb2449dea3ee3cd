//! `GET /v1/secrets/{id}/consumers/{consumer_id}`: one live consumer.
//!
//! Barbican looks the consumer up by id alone; here it must also belong to the secret in the URL
//! (itself found only in the caller's project), so no other secret's consumer is ever shown.

use axum::Json;
use axum::extract::State;
use portcullis_store::secret_consumers;
use serde_json::Value;

use super::docs::SecretConsumer;
use crate::context::Caller;
use crate::controllers::parse_id;
use crate::controllers::path::IdPath;
use crate::controllers::secrets;
use crate::error::{ApiError, ApiResult};
use crate::openapi::ErrorBody;
use crate::policy::Action;
use crate::state::AppState;

/// Show a consumer
///
/// One live consumer of the secret.
#[utoipa::path(
    get,
    path = "/v1/secrets/{id}/consumers/{consumer_id}",
    tag = "secret-consumers",
    operation_id = "secret_consumer_get",
    params(("id" = uuid::Uuid, Path, description = "The secret's id."), ("consumer_id" = uuid::Uuid, Path, description = "The consumer's id.")),
    responses(
        (status = 200, description = "The consumer.", body = SecretConsumer),
        (status = 404, description = "No such secret in the caller's reach, or no such consumer of it.",
            body = ErrorBody),
    )
)]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    IdPath((id, consumer_id)): IdPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let mut conn = app.db.acquire().await?;
    let secret =
        secrets::load_as(&mut conn, &caller, &id, Action::SecretConsumersGet, "SecretConsumer retrieval").await?;
    let consumer_id = parse_id(&consumer_id, "consumer")?;
    let consumer = secret_consumers::find(&mut conn, secret.id, consumer_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Consumer not found.".into()))?;
    Ok(Json(super::full_view(&consumer)))
}
