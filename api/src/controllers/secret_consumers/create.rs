//! `POST /v1/secrets/{id}/consumers`: registers a consumer. Idempotent: the same consumer again
//! changes nothing, a removed one comes back. Answers 200 with the whole secret (consumers
//! included at every microversion) and Barbican's `Location: {base}/v1/consumers/{id}/consumers`.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use portcullis_store::quotas::Resource;
use portcullis_store::{Timestamp, secret_consumers};

use super::validate::{self, ConsumerSchema};
use crate::body::JsonBody;
use crate::context::{Caller, Hrefs};
use crate::controllers::path::SecretPath;
use crate::controllers::quotas;
use crate::controllers::secrets;
use crate::error::ApiResult;
use crate::policy::Action;
use crate::state::AppState;

#[utoipa::path(post, path = "/v1/secrets/{id}/consumers", tag = "secret-consumers")]
pub async fn create(
    State(app): State<AppState>,
    caller: Caller,
    hrefs: Hrefs,
    SecretPath(id): SecretPath<String>,
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
