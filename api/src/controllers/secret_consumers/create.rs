//! `POST /v1/secrets/{id}/consumers`: registers a consumer. Idempotent: the same consumer again
//! changes nothing, a removed one comes back. Answers 200 with the whole secret (consumers
//! included at every microversion) and Barbican's `Location: {base}/v1/consumers/{id}/consumers`.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use portcullis_store::quotas::Resource;
use portcullis_store::{Timestamp, secret_consumers};

use super::docs::SecretConsumerBody;
use super::validate::{self, ConsumerSchema};
use crate::body::JsonBody;
use crate::context::{Caller, Hrefs};
use crate::controllers::path::IdPath;
use crate::controllers::quotas;
use crate::controllers::secrets;
use crate::controllers::secrets::docs::Secret;
use crate::error::ApiResult;
use crate::openapi::ErrorBody;
use crate::policy::Action;
use crate::state::AppState;

/// Register a consumer
///
/// Declares that a service's resource uses the secret. Idempotent: the same consumer again
/// changes nothing, a removed one comes back. Answers with the whole secret, its consumers
/// included whatever the microversion.
#[utoipa::path(
    post,
    path = "/v1/secrets/{id}/consumers",
    tag = "secret-consumers",
    operation_id = "secret_consumer_create",
    params(("id" = uuid::Uuid, Path, description = "The secret's id.")),
    request_body(content = SecretConsumerBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Registered; the secret as it is now.", body = Secret,
            headers(("Location" = String,
                description = "Barbican's consumer URL, `{base}/v1/consumers/{secret id}/consumers` (sic).")),
            example = json!({
            "created": "2026-11-24T14:58:07.512406", "updated": "2026-11-24T14:58:07.512406",
            "status": "ACTIVE", "name": "db-password", "secret_type": "opaque", "expiration": null,
            "algorithm": null, "bit_length": null, "mode": null, "creator_id": null,
            "consumers": [{"service": "image", "resource_type": "image",
                "resource_id": "123e4567-e89b-12d3-a456-426614174000"}],
            "content_types": {"default": "text/plain"},
            "secret_ref": "http://127.0.0.1:9311/v1/secrets/2e1d5044-224b-4c91-9840-81f9286fa0ae"})),
        (status = 400, description = "The body breaks the `Secret Consumer` schema.", body = ErrorBody),
        (status = 403, description = "The caller's roles do not allow it, or the project's consumers quota is \
            reached.", body = ErrorBody),
        (status = 404, description = "No such secret in the caller's reach.", body = ErrorBody),
        (status = 415, description = "The body is not `application/json`.", body = ErrorBody),
    )
)]
pub async fn create(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    IdPath(id): IdPath<String>,
    body: JsonBody<ConsumerSchema>,
) -> ApiResult<Response> {
    // Barbican's order: the secret and the policy (404/403), then the body.
    secrets::load(&mut app.db.acquire().await?, &caller, &id, Action::SecretConsumersPost).await?;
    let consumer = validate::consumer(body.read().await?)?;
    let mut tx = app.db.begin().await?;
    let secret = secrets::load(&mut tx, &caller, &id, Action::SecretConsumersPost).await?;
    quotas::enforce(&app, &mut tx, &caller.project_id, Resource::SecretConsumers).await?;
    let added = secret_consumers::add(&mut tx, secret.id, &caller.project_id, &consumer, Timestamp::now()).await?;
    let view = super::secret_body(&mut tx, &hrefs, secret.id).await?;
    tx.commit().await?;
    tracing::info!(secret_id = %secret.id, outcome = ?added, "secret consumer registered");
    // Sic: Barbican's consumer href says `consumers`, not `secrets`.
    let location = hrefs.url(&format!("v1/consumers/{}/consumers", secret.id));
    Ok(([(header::LOCATION, location)], Json(view)).into_response())
}
