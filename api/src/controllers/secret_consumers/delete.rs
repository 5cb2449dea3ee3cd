//! `DELETE /v1/secrets/{id}/consumers`: removes the consumer named in the JSON body. Answers 200
//! with the whole secret; a consumer that is not registered (or already removed) is a 404.
//!
//! As in Barbican, a caller whose project owns neither the consumer nor the secret (a read-ACL
//! user of another project removing someone else's consumer) is refused with a 403.

use axum::Json;
use axum::extract::State;
use portcullis_store::{Timestamp, secret_consumers};

use super::docs::SecretConsumerBody;
use super::validate::{self, ConsumerSchema};
use crate::body::JsonBody;
use crate::context::{Caller, Hrefs};
use crate::controllers::path::IdPath;
use crate::controllers::secrets::docs::Secret;
use crate::controllers::secrets::{self, view::SecretView};
use crate::error::{ApiError, ApiResult};
use crate::openapi::ErrorBody;
use crate::policy::Action;
use crate::state::AppState;

/// Remove a consumer
///
/// Removes the consumer the body names. Answers with the whole secret, its consumers included.
#[utoipa::path(
    delete,
    path = "/v1/secrets/{id}/consumers",
    tag = "secret-consumers",
    operation_id = "secret_consumer_delete",
    params(("id" = uuid::Uuid, Path, description = "The secret's id.")),
    request_body(content = SecretConsumerBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Removed; the secret as it is now.", body = Secret),
        (status = 400, description = "The body breaks the `Secret Consumer` schema.", body = ErrorBody),
        (status = 403, description = "The caller's roles do not allow it, or its project owns neither the \
            consumer nor the secret.", body = ErrorBody),
        (status = 404, description = "No such secret in the caller's reach, or no such consumer of it.",
            body = ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = ErrorBody),
    )
)]
pub async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
    body: JsonBody<ConsumerSchema>,
) -> ApiResult<Json<SecretView>> {
    // Barbican's order: the secret and the policy (404/403), then the body.
    secrets::load(&mut app.db.acquire().await?, &caller, &id, Action::SecretConsumersDelete).await?;
    let consumer = validate::consumer(body.read().await?)?;
    let mut tx = app.db.begin().await?;
    let secret = secrets::load(&mut tx, &caller, &id, Action::SecretConsumersDelete).await?;
    let found = secret_consumers::find_by_values(&mut tx, secret.id, &consumer)
        .await?
        .ok_or_else(|| ApiError::NotFound("Consumer not found.".into()))?;
    if found.project_id != caller.project_id && secret.project_id != caller.project_id {
        return Err(ApiError::Forbidden("Not Allowed. Sorry, only the creator of a consumer can delete it.".into()));
    }
    if !secret_consumers::remove(&mut tx, secret.id, &consumer, Timestamp::now()).await? {
        return Err(ApiError::NotFound("Consumer not found.".into()));
    }
    let view = super::secret_body(&mut tx, &hrefs, secret.id).await?;
    tx.commit().await?;
    tracing::info!(secret_id = %secret.id, "secret consumer removed");
    Ok(Json(view))
}
